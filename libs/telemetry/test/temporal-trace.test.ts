// One trace across a Temporal client, the workflow and its activity, asserted from exported spans
// (DESIGN.md §3), against the run's shared Temporal dev server. The controls leave out one side's
// interceptors and show what the main test's assertions would then see.
import { SpanKind } from "@opentelemetry/api";
import { Client, Connection } from "@temporalio/client";
import { DefaultLogger, NativeConnection, Runtime, Worker } from "@temporalio/worker";
import { testServers, uniqueName } from "@warden/testing";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestTelemetry, type ReadableSpan, type TestTelemetry } from "../src/index.ts";
import { temporalClientInterceptors, temporalWorkerTracing } from "../src/temporal.ts";
import { withSpan } from "../src/trace-context.ts";
import { createTraceActivities } from "./fixtures/trace-activities.ts";
import { tracedWorkflow } from "./fixtures/trace-workflows.ts";

Runtime.install({ logger: new DefaultLogger("WARN") });

const workflowsPath = fileURLToPath(new URL("./fixtures/trace-workflows.ts", import.meta.url));

interface Run {
  /** Trace id of the client's span, active while it starts the workflow and awaits the result. */
  clientTraceId: string;
  clientSpanId: string;
  /** What the activity saw as its active trace (`trace.getActiveSpan()` inside it). */
  activityTraceId: string | undefined;
  workflowId: string;
}

describe("trace context through Temporal (dev server)", () => {
  let telemetry: TestTelemetry;
  let connection: NativeConnection;
  let clientConnection: Connection;

  beforeAll(async () => {
    telemetry = createTestTelemetry("temporal-trace-test");
    const { temporalAddress } = testServers();
    connection = await NativeConnection.connect({ address: temporalAddress });
    clientConnection = await Connection.connect({ address: temporalAddress });
  });
  afterAll(async () => {
    await clientConnection?.close();
    await connection?.close();
    await telemetry?.shutdown();
  });
  beforeEach(() => telemetry.reset());

  /** Starts `tracedWorkflow` from inside a client span and waits for its result. */
  async function run(tracing: { client: boolean; worker: boolean }): Promise<Run> {
    const taskQueue = uniqueName("trace");
    const workflowId = uniqueName("traced");
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath,
      activities: createTraceActivities(),
      ...(tracing.worker ? temporalWorkerTracing(telemetry) : {}),
    });
    const client = new Client({
      connection: clientConnection,
      ...(tracing.client ? { interceptors: temporalClientInterceptors() } : {}),
    });
    return worker.runUntil(
      withSpan("client action", async (span) => {
        const activityTraceId = await client.workflow.execute(tracedWorkflow, { taskQueue, workflowId });
        const { traceId, spanId } = span.spanContext();
        return { clientTraceId: traceId, clientSpanId: spanId, activityTraceId, workflowId };
      }),
    );
  }

  /** The one finished span with this name. */
  function only(name: string): ReadableSpan {
    const spans = telemetry.spansNamed(name);
    expect(spans, `spans named ${name}`).toHaveLength(1);
    return spans[0] ?? expect.unreachable();
  }

  const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
  const traceOf = (span: ReadableSpan): string => span.spanContext().traceId;

  it("client span → StartWorkflow → RunWorkflow → StartActivity → RunActivity is one trace", async () => {
    const { clientTraceId, clientSpanId, activityTraceId, workflowId } = await run({
      client: true,
      worker: true,
    });

    const start = only("StartWorkflow:tracedWorkflow");
    const execute = only("RunWorkflow:tracedWorkflow");
    const scheduleActivity = only("StartActivity:activeTraceId");
    const runActivity = only("RunActivity:activeTraceId");

    // Same trace throughout, and each span the child of the one before.
    for (const span of [start, execute, scheduleActivity, runActivity])
      expect(traceOf(span)).toBe(clientTraceId);
    expect(parentOf(start)).toBe(clientSpanId);
    expect(parentOf(execute)).toBe(start.spanContext().spanId);
    expect(parentOf(scheduleActivity)).toBe(execute.spanContext().spanId);
    expect(parentOf(runActivity)).toBe(scheduleActivity.spanContext().spanId);
    // The activity runs inside its span: the trace is its active context.
    expect(activityTraceId).toBe(clientTraceId);
    expect(new Set(telemetry.spans().map(traceOf))).toEqual(new Set([clientTraceId]));

    // Workflow spans come out of the sandbox in this SDK's shape, with the service's resource.
    expect(execute.kind).toBe(SpanKind.INTERNAL);
    expect(execute.resource.attributes["service.name"]).toBe("temporal-trace-test");
    expect(execute.instrumentationScope.name).toBe("@temporalio/interceptor-workflow");
    expect(execute.attributes).toMatchObject({
      temporalWorkflowId: workflowId,
      temporalWorkflowType: "tracedWorkflow",
    });
    expect(runActivity.attributes).toMatchObject({ temporalWorkflowId: workflowId });
  });

  it("control: without the client interceptor the workflow starts a trace of its own", async () => {
    const { clientTraceId, activityTraceId } = await run({ client: false, worker: true });

    expect(telemetry.spansNamed("StartWorkflow:tracedWorkflow")).toEqual([]);
    const execute = only("RunWorkflow:tracedWorkflow");
    expect(parentOf(execute)).toBeUndefined();
    expect(traceOf(execute)).not.toBe(clientTraceId);
    expect(traceOf(only("RunActivity:activeTraceId"))).toBe(traceOf(execute));
    expect(activityTraceId).toBe(traceOf(execute));
  });

  it("control: without the worker interceptors there are no workflow or activity spans and no active trace", async () => {
    const { clientTraceId, activityTraceId } = await run({ client: true, worker: false });

    expect(traceOf(only("StartWorkflow:tracedWorkflow"))).toBe(clientTraceId);
    expect(
      telemetry
        .spans()
        .map((span) => span.name)
        .sort(),
    ).toEqual(["StartWorkflow:tracedWorkflow", "client action"]);
    expect(activityTraceId).toBeUndefined();
  });
});
