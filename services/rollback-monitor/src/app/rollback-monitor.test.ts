import { describe, expect, it } from "vitest";
import {
  createInMemoryEscalations,
  createInMemoryEventSink,
  createInMemoryWorkflows,
  createManualClock,
} from "../adapters/fakes/in-memory.ts";
import type { PublishedEvent } from "../adapters/fakes/in-memory.ts";
import type { Observation } from "../domain/analysis.ts";
import type { RollbackPolicy } from "../domain/rollback-policy.ts";
import { deployment, examplePolicy, healthy, MINUTE, obs, SECOND, series, T0 } from "../testing/fixtures.ts";
import {
  createRollbackMonitor,
  DeploymentNotFoundError,
  ManualRollbackRefusedError,
} from "./rollback-monitor.ts";
import type { MonitorInput } from "./rollback-monitor.ts";

function setup(policy: RollbackPolicy = examplePolicy()) {
  const events = createInMemoryEventSink();
  const escalations = createInMemoryEscalations();
  const workflows = createInMemoryWorkflows();
  const clock = createManualClock(T0);
  const monitor = createRollbackMonitor({ policy: () => policy, events, workflows, escalations, clock });
  return { monitor, events, escalations, workflows, clock, policy };
}

type Setup = ReturnType<typeof setup>;

const started: MonitorInput = { type: "deployment_started", deployment: deployment() };
const signal = (o: Observation): MonitorInput => ({ type: "signal", deploymentId: "dep-1", observation: o });

/** A healthy stream with an error-rate regression from minute 6, in receipt order. */
function regressionStream(): Observation[] {
  return [
    ...healthy(0, 12 * MINUTE, 10 * SECOND),
    ...series("error_rate", 0, 12 * MINUTE, 10 * SECOND, (t) => (t > 6 * MINUTE ? 0.05 : 0.01), 0.01),
    ...series("latency", 0, 12 * MINUTE, 10 * SECOND, () => 200, 200),
  ].sort((a, b) => a.receivedAt - b.receivedAt || a.kind.localeCompare(b.kind));
}

async function feed(s: Setup, observations: Observation[], act = true): Promise<void> {
  for (const o of observations) {
    s.clock.set(o.receivedAt);
    await s.monitor.handle(signal(o), { act, receivedAt: o.receivedAt });
  }
}

/** The monitor's own published events, as the consumer hands them back on a replay. */
function ownEvents(published: PublishedEvent[]): MonitorInput[] {
  return published.map((e) => ({
    type: "own_event",
    deploymentId: e.data.deploymentId,
    eventId: e.id,
    ...(e.type === "triggered" && {
      workflowId: e.data.workflowId,
      trigger: e.data.trigger,
      since: Date.parse(e.data.triggeredAt ?? ""),
    }),
  }));
}

describe("acting on findings", () => {
  it("a regression starts one rollback workflow and publishes warden.rollback.triggered", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    await feed(s, regressionStream());
    expect(s.workflows.started).toHaveLength(1);
    expect(s.workflows.started[0]).toMatchObject({
      deploymentId: "dep-1",
      trigger: "error-rate-increase",
      strategy: "blue-green-switch-back",
      fromVersion: "v2.0.0",
      toVersion: "v1.9.0",
      verificationTimeoutMs: 5 * MINUTE,
      reviewDueMs: 48 * 60 * MINUTE,
    });
    const triggered = s.events.published.filter((e) => e.type === "triggered");
    expect(triggered).toHaveLength(1);
    expect(triggered[0]?.data).toMatchObject({
      workflowId: "rollback-dep-1",
      signalKind: "SIGNAL_KIND_ERROR_RATE",
      trigger: "error-rate-increase",
    });
    expect(s.escalations.requests).toEqual([]);
    expect(s.monitor.status("dep-1")?.phase).toBe("rolling_back");
  });

  it("a second trigger is a no-op for the workflow", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    await feed(
      s,
      [10, 20, 30].map((t) => obs("health", t * SECOND, { passed: false })),
    );
    await feed(s, [obs("security_scan", 40 * SECOND, { passed: false, severity: "critical" })]);
    expect(s.workflows.startCalls).toBe(2);
    expect(s.workflows.started).toHaveLength(1);
    expect(s.events.published.filter((e) => e.type === "triggered").map((e) => e.data.trigger)).toEqual([
      "health-check-failures",
      "security-scan-failed",
    ]);
  });

  it("canary deployments abort the canary", async () => {
    const s = setup();
    await s.monitor.handle(
      { type: "deployment_started", deployment: deployment({ strategy: "canary" }) },
      { act: true, receivedAt: T0 },
    );
    await feed(
      s,
      [10, 20, 30].map((t) => obs("health", t * SECOND, { passed: false })),
    );
    expect(s.workflows.started[0]?.strategy).toBe("canary-abort");
  });

  it("low agent confidence escalates: an ActionRequest by the rollback monitor, no rollback", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    await feed(s, [obs("confidence", 30 * SECOND, { value: 0.3, source: "deploy-bot" })]);
    expect(s.workflows.started).toEqual([]);
    expect(s.escalations.requests).toHaveLength(1);
    expect(s.escalations.requests[0]).toMatchObject({
      agentId: "rollback-monitor",
      action: "rollback.decide",
      environment: "ENVIRONMENT_PRODUCTION",
      target: "checkout",
    });
    const escalated = s.events.published.filter((e) => e.type === "escalated");
    expect(escalated[0]?.data).toMatchObject({
      trigger: "low-agent-confidence",
      escalationActionId: s.escalations.requests[0]?.actionId,
      roles: ["on-call-engineer", "engineering-lead"],
    });
    expect(s.monitor.status("dep-1")?.phase).toBe("escalated");
  });

  it("missing data escalates on the clock (tick), never a rollback", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    await feed(s, healthy(0, 10 * MINUTE, 10 * SECOND));
    // No error-rate or latency samples at all: inconclusive once their window (plus lateness) closed.
    expect(s.escalations.requests.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^error-rate-increase: inconclusive: 0 timely error_rate/),
      expect.stringMatching(/^latency-p99-increase: inconclusive: 0 timely latency/),
    ]);
    s.clock.set(T0 + 10 * MINUTE + 3 * MINUTE + 1);
    expect(await s.monitor.tick()).toBe(1); // health went silent
    expect(s.escalations.requests).toHaveLength(3);
    expect(s.workflows.started).toEqual([]);
    expect(await s.monitor.tick()).toBe(0);
  });

  it("a dry-run trigger is reported, not acted on", async () => {
    const base = examplePolicy();
    const policy = {
      ...base,
      triggers: base.triggers.map((t) => (t.kind === "health" ? { ...t, dryRun: true } : t)),
    };
    const s = setup(policy);
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    await feed(
      s,
      [10, 20, 30].map((t) => obs("health", t * SECOND, { passed: false })),
    );
    expect(s.workflows.started).toEqual([]);
    const dry = s.events.published.filter((e) => e.type === "dry_run");
    expect(dry).toHaveLength(1);
    expect(dry[0]?.data.reason).toMatch(/^dry run \(fired\): 3 consecutive/);
  });

  it("signals of an unknown deployment are reported as such", async () => {
    const s = setup();
    expect(
      await s.monitor.handle(signal(obs("health", 0, { passed: false })), { act: true, receivedAt: T0 }),
    ).toBe("unknown_deployment");
  });

  it("health checks after the trigger are forwarded to the running rollback (verification)", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    await feed(
      s,
      [10, 20, 30].map((t) => obs("health", t * SECOND, { passed: false })),
    );
    await feed(s, [obs("health", 40 * SECOND, { passed: true, id: "h-40" })]);
    expect(s.workflows.health.get("dep-1")).toEqual([
      { id: "h-40", passed: true, detail: undefined, observedAt: new Date(T0 + 40 * SECOND).toISOString() },
    ]);
  });
});

describe("restart: the state rebuilt from the stream", () => {
  it("never fires twice: a replay of everything plus the monitor's own events acts on nothing", async () => {
    const live = setup();
    const stream = regressionStream();
    await live.monitor.handle(started, { act: true, receivedAt: T0 });
    await feed(live, stream);
    expect(live.workflows.started).toHaveLength(1);

    // A new process, same stores (the workflows and the stream survive), replays and reconciles.
    const restarted = createRollbackMonitor({
      policy: () => live.policy,
      events: live.events,
      workflows: live.workflows,
      escalations: live.escalations,
      clock: live.clock,
    });
    const before = live.events.published.length;
    await restarted.handle(started, { act: false, receivedAt: T0 });
    for (const o of stream) await restarted.handle(signal(o), { act: false, receivedAt: o.receivedAt });
    for (const e of ownEvents(live.events.published))
      await restarted.handle(e, { act: false, receivedAt: T0 });
    await restarted.reconcile();
    expect(live.workflows.startCalls).toBe(1);
    expect(live.events.published.length).toBe(before);
    expect(restarted.status("dep-1")?.phase).toBe("rolling_back");
  });

  it("never hides a regression: a crash mid-window, then the rest of the stream, still rolls back once", async () => {
    const live = setup();
    const stream = regressionStream();
    const cut = stream.findIndex((o) => o.observedAt > T0 + 6 * MINUTE);
    await live.monitor.handle(started, { act: true, receivedAt: T0 });
    await feed(live, stream.slice(0, cut));
    expect(live.workflows.started).toEqual([]); // the window has not closed on the regression yet

    const restarted = {
      ...live,
      monitor: createRollbackMonitor({
        policy: () => live.policy,
        events: live.events,
        workflows: live.workflows,
        escalations: live.escalations,
        clock: live.clock,
      }),
    };
    await restarted.monitor.handle(started, { act: false, receivedAt: T0 });
    await feed(restarted, stream.slice(0, cut), false);
    await restarted.monitor.reconcile();
    await feed(restarted, stream.slice(cut));
    expect(live.workflows.started.map((r) => r.trigger)).toEqual(["error-rate-increase"]);
  });

  it("a finding the crashed process computed but did not act on is acted on by reconcile", async () => {
    const s = setup();
    const stream = regressionStream();
    // Replay only (as if the process died before acting): no workflow yet.
    await s.monitor.handle(started, { act: false, receivedAt: T0 });
    await feed(s, stream, false);
    expect(s.workflows.startCalls).toBe(0);
    await s.monitor.reconcile();
    expect(s.workflows.started).toHaveLength(1);
    await s.monitor.reconcile();
    expect(s.workflows.startCalls).toBe(1);
  });

  it("duplicate deliveries change nothing", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    expect(await s.monitor.handle(started, { act: true, receivedAt: T0 })).toBe("duplicate");
    const f = obs("health", 10 * SECOND, { passed: false });
    await feed(s, [f, f, f, f]);
    expect(s.workflows.started).toEqual([]);
  });
});

describe("manual rollback", () => {
  const oncall = { type: "human" as const, id: "olga", roles: ["on-call-engineer"] };

  it("starts the rollback for a caller with a manual role", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    const result = await s.monitor.triggerManual("dep-1", "customers report checkout errors", oncall);
    expect(result).toMatchObject({ workflowId: "rollback-dep-1", started: true });
    expect(s.workflows.started[0]).toMatchObject({ trigger: "manual", requestedBy: oncall });
    const triggered = s.events.published.find((e) => e.type === "triggered");
    expect(triggered?.data).toMatchObject({
      trigger: "manual",
      requestedBy: { id: "olga", type: "ACTOR_TYPE_HUMAN" },
    });
  });

  it("is idempotent: a deployment already rolling back returns its workflow", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    await s.monitor.triggerManual("dep-1", "first", oncall);
    const again = await s.monitor.triggerManual("dep-1", "second", oncall);
    expect(again).toMatchObject({ workflowId: "rollback-dep-1", started: false });
    expect(s.workflows.startCalls).toBe(1);
  });

  it("refuses a caller without the role, publishing the refusal", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    await expect(
      s.monitor.triggerManual("dep-1", "why not", { type: "human", id: "sam", roles: ["developer"] }),
    ).rejects.toBeInstanceOf(ManualRollbackRefusedError);
    const refused = s.events.published.filter((e) => e.type === "refused");
    expect(refused[0]?.data).toMatchObject({ deploymentId: "dep-1", operation: "TriggerRollback" });
    expect(refused[0]?.data.reason).toContain("sam holds none of the roles");
    expect(s.workflows.started).toEqual([]);
  });

  it("refuses an empty reason and an AI agent; an unknown deployment is not found", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    await expect(s.monitor.triggerManual("dep-1", " ", oncall)).rejects.toMatchObject({ field: "reason" });
    await expect(
      s.monitor.triggerManual("dep-1", "x", { type: "ai_agent", id: "bot", roles: ["on-call-engineer"] }),
    ).rejects.toMatchObject({ field: "authorization" });
    await expect(s.monitor.triggerManual("nope", "x", oncall)).rejects.toBeInstanceOf(
      DeploymentNotFoundError,
    );
    expect(s.events.published.filter((e) => e.type === "refused")).toHaveLength(2);
  });
});

describe("prune", () => {
  it("drops deployments whose analysis ended long ago", async () => {
    const s = setup();
    await s.monitor.handle(started, { act: true, receivedAt: T0 });
    s.clock.set(T0 + 31 * MINUTE);
    expect(s.monitor.prune(60 * MINUTE)).toBe(0);
    s.clock.set(T0 + 2 * 60 * MINUTE);
    expect(s.monitor.prune(60 * MINUTE)).toBe(1);
    expect(s.monitor.deployments()).toBe(0);
  });
});
