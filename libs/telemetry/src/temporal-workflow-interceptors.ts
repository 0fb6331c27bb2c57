// Workflow-side OpenTelemetry interceptors, for `Worker.create({ interceptors: { workflowModules } })`
// (the path is `temporalWorkflowInterceptorsModule` in ./temporal.ts). This module is bundled into
// the Temporal workflow sandbox: no Node built-ins, no I/O. Spans recorded here leave the sandbox
// through the `exporter` sink that `temporalWorkerTracing` installs.
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from "@temporalio/interceptors-opentelemetry/lib/workflow/index.js";
import type { WorkflowInterceptorsFactory } from "@temporalio/workflow";

/**
 * Continues the trace carried in the workflow's start headers (a `RunWorkflow:<type>` span), and
 * passes it on in the headers of every activity, child workflow and signal it schedules.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
