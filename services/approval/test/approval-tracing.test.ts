// One trace from the decision to the approval's workflow and activities (DESIGN.md §3), from spans
// an in-memory exporter received, against the run's NATS and Temporal dev server. The policy's
// decision is published inside a span; the service's consumer continues it, its client starts the
// workflow (StartWorkflow), and the worker's OpenTelemetry interceptors (`telemetry` option, as
// main.ts passes runService's) record RunWorkflow, StartActivity and RunActivity in the same trace.
// Control: the same approval on a service started without `telemetry` records no workflow or
// activity span, so the main test's assertions would catch the interceptors missing.
import type { Subscription } from "@nats-io/transport-node";
import { approvalV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import { decodeEnvelope } from "@warden/messaging";
import { createTestTelemetry, withSpan } from "@warden/telemetry";
import type { ReadableSpan, TestTelemetry } from "@warden/telemetry";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { approvalWorkflowId } from "../src/workflows/contract.ts";
import { approvalDecision, publishDecision, startApprovalForTest } from "./service-support.ts";
import type { ApprovalUnderTest } from "./service-support.ts";

const WAIT = { timeout: 60_000, interval: 100 } as const;

let telemetry: TestTelemetry;
const running: ApprovalUnderTest[] = [];
const subs: Subscription[] = [];
const clients: { close(): void }[] = [];

beforeAll(() => {
  telemetry = createTestTelemetry("approval");
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of subs) s.unsubscribe();
  for (const on of running) await on.stop();
  await telemetry?.shutdown();
}, 60_000);

const traceOf = (span: ReadableSpan): string => span.spanContext().traceId;
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

/** The finished spans of one trace named `name`. */
const named = (traceId: string, name: string): ReadableSpan[] =>
  telemetry.spansNamed(name).filter((s) => traceOf(s) === traceId);

function one(traceId: string, name: string): ReadableSpan {
  const spans = named(traceId, name);
  expect(spans, `spans named ${name} in trace ${traceId}`).toHaveLength(1);
  return spans[0] ?? expect.unreachable();
}

/** Starts a service, publishes a decision inside a span, and ends the approval with a reject. */
async function approvalInTrace(withTracing: boolean) {
  const on = await startApprovalForTest({}, withTracing ? { telemetry } : {});
  running.push(on);
  const resolved = new Set<string>();
  const sub = on.nc.subscribe(on.t.subjects.allEvents);
  subs.push(sub);
  void (async () => {
    for await (const m of sub) {
      const e = decodeEnvelope(m.data);
      if (e.type === "warden.approval.resolved" && e.actionId !== undefined) resolved.add(e.actionId);
    }
  })();
  const decision = approvalDecision();
  const traceId = await withSpan("policy decides", async (span) => {
    await publishDecision(on, decision);
    return span.spanContext().traceId;
  });
  const token = await on.issuer.issue({ sub: "bob", roles: ["engineering-lead"], type: "human" });
  const c = createGrpcClient(approvalV1.ApprovalServiceDefinition, `127.0.0.1:${on.running.grpcPort}`, {
    token,
  });
  clients.push(c);
  await vi.waitFor(async () => {
    expect((await on.running.service.get(decision.actionId)).status).toBe("pending");
  }, WAIT);
  await c.client.decide({
    actionId: decision.actionId,
    decision: approvalV1.VoteDecision.VOTE_DECISION_REJECT,
    comment: "not today",
  });
  // The workflow ends after a reject: its result means every activity of it has run.
  await on.running.client.workflow.getHandle(approvalWorkflowId(decision.actionId)).result();
  await vi.waitFor(() => expect(resolved.has(decision.actionId)).toBe(true), WAIT);
  return { traceId, actionId: decision.actionId };
}

describe("tracing through the approval's workflow", () => {
  it("decision → StartWorkflow → RunWorkflow → StartActivity → RunActivity is one trace", async () => {
    const { traceId, actionId } = await approvalInTrace(true);
    const start = one(traceId, "StartWorkflow:approvalWorkflow");
    const execute = await vi.waitFor(() => one(traceId, "RunWorkflow:approvalWorkflow"), WAIT);
    expect(parentOf(execute)).toBe(idOf(start));
    expect(execute.attributes).toMatchObject({
      temporalWorkflowId: approvalWorkflowId(actionId),
      temporalWorkflowType: "approvalWorkflow",
    });
    expect(execute.resource.attributes["service.name"]).toBe("approval");
    for (const activity of ["publishRequested", "publishVoteCast", "publishResolved", "publishVerdict"]) {
      const schedule = one(traceId, `StartActivity:${activity}`);
      const run = one(traceId, `RunActivity:${activity}`);
      expect(parentOf(schedule)).toBe(idOf(execute));
      expect(parentOf(run)).toBe(idOf(schedule));
      expect(run.attributes).toMatchObject({ temporalWorkflowId: approvalWorkflowId(actionId) });
    }
    // The vote's update links its caller to the workflow's handler: one trace (the gRPC call's).
    const updates = new Set(telemetry.spansNamed("StartWorkflowUpdate:vote").map(traceOf));
    const handled = telemetry.spansNamed("HandleUpdate:vote").map(traceOf);
    expect(handled.some((t) => updates.has(t))).toBe(true);
  }, 120_000);

  it("control: without the telemetry option the worker records no workflow or activity span", async () => {
    const { traceId } = await approvalInTrace(false);
    // The client side still continues the decision's trace…
    expect(named(traceId, "StartWorkflow:approvalWorkflow")).toHaveLength(1);
    // …but the workflow ran (its result came back, the resolved event arrived) with no span of its own.
    const workerSpans = telemetry
      .spans()
      .filter((s) => traceOf(s) === traceId)
      .map((s) => s.name)
      .filter((name) => /^(RunWorkflow|StartActivity|RunActivity):/.test(name));
    expect(workerSpans).toEqual([]);
  }, 120_000);
});
