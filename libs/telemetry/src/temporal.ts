// Trace context through Temporal (DESIGN.md §3): a span active when a client starts a workflow is the
// parent of the workflow's spans, and those of the activities it runs, so one action is one trace
// across services. Built on @temporalio/interceptors-opentelemetry; imported as
// `@warden/telemetry/temporal` so that services without Temporal never load the Temporal SDK.
import type { Tracer } from "@opentelemetry/api";
import { createTraceState } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import type { ClientInterceptors } from "@temporalio/client";
import { OpenTelemetryWorkflowClientInterceptor } from "@temporalio/interceptors-opentelemetry/lib/client/index.js";
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from "@temporalio/interceptors-opentelemetry/lib/worker/index.js";
import type {
  OpenTelemetrySinks,
  SerializableSpan,
} from "@temporalio/interceptors-opentelemetry/lib/workflow/definitions.js";
import type { InjectedSinks, WorkerInterceptors } from "@temporalio/worker";
import type { WorkflowInfo } from "@temporalio/workflow";
import { fileURLToPath } from "node:url";
import type { Telemetry } from "./init-telemetry.ts";

export interface TemporalTracingOptions {
  /** Tracer for the client and activity spans; default: the global provider's Temporal tracers. */
  tracer?: Tracer;
}

/**
 * Absolute path of the workflow-side interceptors module, for `interceptors.workflowModules`
 * (`temporalWorkerTracing` already includes it).
 */
export const temporalWorkflowInterceptorsModule: string = fileURLToPath(
  new URL("./temporal-workflow-interceptors.ts", import.meta.url),
);

/**
 * Client interceptors: `StartWorkflow:<type>` (and signal, query, update, …) spans, children of the
 * active span, whose context travels to the workflow in its headers.
 * `new Client({ connection, interceptors: temporalClientInterceptors() })`.
 * Create them after `initTelemetry` (the default tracers bind to the provider registered then).
 */
export function temporalClientInterceptors(options: TemporalTracingOptions = {}): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor(tracerOption(options))] };
}

/** What `Worker.create` needs for tracing: spread it into the worker options. */
export interface TemporalWorkerTracing {
  /**
   * `workflowModules` (workflow and outbound activity spans in the sandbox), `activity`
   * (a `RunActivity:<type>` span, active while the activity runs, child of the workflow's
   * `StartActivity` span) and `client` (for the `Client` activities reach through their context).
   */
  interceptors: WorkerInterceptors & {
    workflowModules: string[];
    activity: NonNullable<WorkerInterceptors["activity"]>;
  };
  /** The `exporter` sink the workflow interceptors send their finished spans through. */
  sinks: InjectedSinks<OpenTelemetrySinks>;
}

/**
 * Worker interceptors and the workflow span sink, exporting workflow spans through `telemetry`'s
 * pipeline (same resource, sampling and exporter as the service's own spans):
 * `Worker.create({ connection, taskQueue, workflowsPath, activities, ...temporalWorkerTracing(telemetry) })`.
 * A worker with interceptors or sinks of its own merges the lists (see README).
 */
export function temporalWorkerTracing(
  telemetry: Pick<Telemetry, "resource" | "spanProcessor">,
  options: TemporalTracingOptions = {},
): TemporalWorkerTracing {
  const tracer = tracerOption(options);
  return {
    interceptors: {
      workflowModules: [temporalWorkflowInterceptorsModule],
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, tracer),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      client: temporalClientInterceptors(options),
    },
    sinks: temporalWorkflowSpanSinks(telemetry),
  };
}

/**
 * The `exporter` sink alone. Unlike the package's `makeWorkflowExporter`, it rebuilds each span in
 * the shape of this SDK's `ReadableSpan` (`parentSpanContext`, `instrumentationScope`): the workflow
 * interceptors record spans with OpenTelemetry JS 1.x inside the sandbox, and the 3.x exporters read
 * the newer fields. Not called during replay, so a replayed workflow task exports nothing twice.
 */
export function temporalWorkflowSpanSinks(
  telemetry: Pick<Telemetry, "resource" | "spanProcessor">,
): InjectedSinks<OpenTelemetrySinks> {
  return {
    exporter: {
      export: {
        fn: (info, spans) => {
          for (const span of spans)
            telemetry.spanProcessor.onEnd(readableSpanFrom(span, info, telemetry.resource));
        },
        callDuringReplay: false,
      },
    },
  };
}

function readableSpanFrom(
  span: SerializableSpan,
  info: WorkflowInfo,
  resource: Telemetry["resource"],
): ReadableSpan {
  const { traceState, ...rest } = span.spanContext;
  const spanContext = {
    ...rest,
    ...(traceState === undefined ? {} : { traceState: createTraceState(traceState) }),
  };
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => spanContext,
    ...(span.parentSpanId === undefined
      ? {}
      : {
          parentSpanContext: {
            traceId: rest.traceId,
            spanId: span.parentSpanId,
            traceFlags: rest.traceFlags,
          },
        }),
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: {
      ...span.attributes,
      temporalWorkflowId: info.workflowId,
      run_id: info.runId,
      temporalWorkflowType: info.workflowType,
      temporalTaskQueue: info.taskQueue,
      temporalNamespace: info.namespace,
    },
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource,
    instrumentationScope: {
      name: span.instrumentationLibrary.name,
      ...(span.instrumentationLibrary.version === undefined
        ? {}
        : { version: span.instrumentationLibrary.version }),
      ...(span.instrumentationLibrary.schemaUrl === undefined
        ? {}
        : { schemaUrl: span.instrumentationLibrary.schemaUrl }),
    },
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

function tracerOption(options: TemporalTracingOptions): { tracer?: Tracer } {
  return options.tracer === undefined ? {} : { tracer: options.tracer };
}
