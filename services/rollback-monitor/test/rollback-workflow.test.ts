// The rollback workflow under Temporal's time-skipping test server: success, verification timeout →
// escalation, failed execution, overdue review, duplicate trigger.
import type { Client } from "@temporalio/client";
import { DefaultLogger, Runtime, Worker } from "@temporalio/worker";
import { startTimeSkipping, uniqueName } from "@warden/testing";
import type { TimeSkippingServer } from "@warden/testing";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActivities } from "../src/activities/create-activities.ts";
import {
  createInMemoryEscalations,
  createInMemoryEventSink,
  createInMemoryExecutor,
  createInMemoryNotifier,
} from "../src/adapters/fakes/in-memory.ts";
import { createTemporalRollbackWorkflows } from "../src/adapters/temporal/temporal-rollback-workflows.ts";
import type { RollbackRequest } from "../src/domain/rollback-request.ts";
import { healthSignal, recordReviewUpdate, rollbackStateQuery } from "../src/workflows/contract.ts";
import type { RollbackView } from "../src/workflows/contract.ts";

Runtime.install({ logger: new DefaultLogger("WARN") });
const workflowsPath = fileURLToPath(new URL("../src/workflows/index.ts", import.meta.url));

let server: TimeSkippingServer;
beforeAll(async () => {
  server = await startTimeSkipping();
});
afterAll(async () => {
  await server?.stop();
});

function request(deploymentId: string): RollbackRequest {
  return {
    deploymentId,
    actionId: "act-1",
    service: "checkout",
    environment: "production",
    fromVersion: "v2.0.0",
    toVersion: "v1.9.0",
    rolloutStrategy: "blue-green",
    strategy: "blue-green-switch-back",
    trigger: "error-rate-increase",
    reason: "error rate up 400 %",
    triggeredAt: "2026-12-03T10:05:00.000Z",
    verificationTimeoutMs: 5 * 60_000,
    healthChecksRequired: 3,
    reviewDueMs: 48 * 3_600_000,
    severity: "sev2",
    escalationRoles: ["on-call-engineer"],
  };
}

async function withWorker<T>(
  options: { failExecution?: boolean; holdExecution?: Promise<void> },
  body: (ctx: {
    client: Client;
    taskQueue: string;
    events: ReturnType<typeof createInMemoryEventSink>;
    escalations: ReturnType<typeof createInMemoryEscalations>;
    notifier: ReturnType<typeof createInMemoryNotifier>;
    executor: ReturnType<typeof createInMemoryExecutor>;
  }) => Promise<T>,
): Promise<T> {
  const taskQueue = uniqueName("rollback");
  const events = createInMemoryEventSink();
  const escalations = createInMemoryEscalations();
  const notifier = createInMemoryNotifier();
  const executor = createInMemoryExecutor({
    fail: options.failExecution === true,
    ...(options.holdExecution !== undefined && { hold: options.holdExecution }),
  });
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    taskQueue,
    workflowsPath,
    activities: createActivities({
      events,
      escalations,
      executor,
      notifier,
      clock: { now: () => Date.now() },
    }),
  });
  return worker.runUntil(
    body({ client: server.env.client, taskQueue, events, escalations, notifier, executor }),
  );
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error("condition not reached");
}

/** Polls a local condition with a deadline (generous: a loaded CI machine). */
async function eventually(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An execution the test releases; released in any case when the test ends (the worker can stop). */
async function withHeldExecution<T>(
  body: (hold: Promise<void>, release: () => void) => Promise<T>,
): Promise<T> {
  let release!: () => void;
  const hold = new Promise<void>((resolve) => (release = resolve));
  try {
    return await body(hold, release);
  } finally {
    release();
  }
}

describe("rollback workflow (time-skipping)", () => {
  it("succeeds when health checks pass, opens the incident, and a recorded review closes it", async () => {
    await withWorker({}, async ({ client, taskQueue, events, escalations, notifier, executor }) => {
      const workflows = createTemporalRollbackWorkflows(client, taskQueue);
      const dep = uniqueName("dep");
      await workflows.start(request(dep));
      const handle = client.workflow.getHandle(`rollback-${dep}`);
      await until(async () => (await handle.query(rollbackStateQuery)).stage === "verifying");
      for (const id of ["h1", "h2", "h2", "h3"]) {
        await handle.signal(healthSignal, { id, passed: true, observedAt: new Date().toISOString() });
      }
      await until(async () => (await handle.query(rollbackStateQuery)).stage === "awaiting_review");
      await handle.executeUpdate(recordReviewUpdate, { args: [{ reviewRef: "PIR-42", reviewer: "olga" }] });
      const view = (await handle.result()) as RollbackView;
      expect(view).toMatchObject({
        result: "succeeded",
        reviewRef: "PIR-42",
        reviewOverdue: false,
        passingChecks: 3,
      });
      expect(executor.executed).toHaveLength(1);
      expect(events.published.map((e) => e.type)).toEqual(["requested", "completed", "incident_opened"]);
      expect(events.published[1]?.data).toMatchObject({ result: "ROLLBACK_RESULT_SUCCEEDED" });
      expect(escalations.requests).toEqual([]);
      expect(notifier.sent.map((n) => n.kind)).toEqual(["started", "succeeded"]);
    });
  });

  it("verification timeout (5 min) → verification_failed, escalated to humans, review overdue after 48 h", async () => {
    await withWorker({}, async ({ client, taskQueue, events, escalations, notifier }) => {
      const workflows = createTemporalRollbackWorkflows(client, taskQueue);
      const dep = uniqueName("dep");
      await workflows.start(request(dep));
      const handle = client.workflow.getHandle(`rollback-${dep}`);
      await until(async () => (await handle.query(rollbackStateQuery)).stage === "verifying");
      // Two passes and a failure: never three consecutive.
      for (const [id, passed] of [
        ["a", true],
        ["b", true],
        ["c", false],
      ] as const) {
        await handle.signal(healthSignal, { id, passed, observedAt: new Date().toISOString() });
      }
      const view = (await handle.result()) as RollbackView; // the server skips the 5 min and the 48 h
      expect(view).toMatchObject({ result: "verification_failed", reviewOverdue: true });
      expect(view.detail).toMatch(/within 300s \(0\/3/);
      expect(events.published.map((e) => e.type)).toEqual([
        "requested",
        "completed",
        "escalated",
        "incident_opened",
        "review_overdue",
      ]);
      expect(escalations.requests).toHaveLength(1);
      expect(escalations.requests[0]).toMatchObject({
        agentId: "rollback-monitor",
        action: "rollback.decide",
        target: "checkout",
      });
      expect(escalations.requests[0]?.reason).toMatch(/^rollback-verification-failed: /);
      expect(notifier.sent.map((n) => n.kind)).toEqual(["started", "failed", "review_overdue"]);
    });
  });

  // The race seen in `make demo`: a fast service's health checks arrive while the execute activity
  // is still running (after warden.rollback.requested, before the workflow waits for verification).
  it("health checks that arrive while the rollback is executing count toward verification", async () => {
    await withHeldExecution((hold, release) =>
      withWorker({ holdExecution: hold }, async ({ client, taskQueue, executor }) => {
        const workflows = createTemporalRollbackWorkflows(client, taskQueue);
        const dep = uniqueName("dep");
        await workflows.start(request(dep));
        const handle = client.workflow.getHandle(`rollback-${dep}`);
        // The execute activity has published requested (requestedAt) and is in the executor.
        await eventually(() => executor.executed.length === 1);
        for (const id of ["e1", "e2", "e3"]) {
          await handle.signal(healthSignal, { id, passed: true, observedAt: new Date().toISOString() });
        }
        expect((await handle.query(rollbackStateQuery)).stage).toBe("executing");
        release();
        const view = (await handle.result()) as RollbackView;
        expect(view).toMatchObject({ result: "succeeded", passingChecks: 3 });
      }),
    );
  });

  it("control: checks observed before requestedAt do not count, early or late", async () => {
    await withHeldExecution((hold, release) =>
      withWorker({ holdExecution: hold }, async ({ client, taskQueue, executor }) => {
        const workflows = createTemporalRollbackWorkflows(client, taskQueue);
        const dep = uniqueName("dep");
        await workflows.start(request(dep));
        const handle = client.workflow.getHandle(`rollback-${dep}`);
        await eventually(() => executor.executed.length === 1);
        const stale = new Date(Date.now() - 60_000).toISOString();
        await handle.signal(healthSignal, { id: "s1", passed: true, observedAt: stale });
        await handle.signal(healthSignal, { id: "f1", passed: true, observedAt: new Date().toISOString() });
        release();
        await until(async () => (await handle.query(rollbackStateQuery)).stage === "verifying");
        await handle.signal(healthSignal, { id: "s2", passed: true, observedAt: stale });
        // Counted, the two stale passes would make three; all signals precede the skipped 5 min.
        const view = (await handle.result()) as RollbackView;
        expect(view).toMatchObject({ result: "verification_failed", passingChecks: 1 });
        expect(view.detail).toMatch(/\(1\/3 consecutive/);
      }),
    );
  });

  it("a failed execution → failed, escalated", async () => {
    await withWorker({ failExecution: true }, async ({ client, taskQueue, events, escalations }) => {
      const workflows = createTemporalRollbackWorkflows(client, taskQueue);
      const dep = uniqueName("dep");
      await workflows.start(request(dep));
      const view = (await client.workflow.getHandle(`rollback-${dep}`).result()) as RollbackView;
      expect(view.result).toBe("failed");
      expect(view.detail).toMatch(/deployment system refused the rollback/);
      expect(events.published.find((e) => e.type === "completed")?.data).toMatchObject({
        result: "ROLLBACK_RESULT_FAILED",
      });
      expect(escalations.requests[0]?.reason).toMatch(/^rollback-failed: /);
    });
  });

  it("a second trigger is a no-op: the same workflow, one execution", async () => {
    await withWorker({}, async ({ client, taskQueue, executor }) => {
      const workflows = createTemporalRollbackWorkflows(client, taskQueue);
      const dep = uniqueName("dep");
      const first = await workflows.start(request(dep));
      const handle = client.workflow.getHandle(first.workflowId);
      const runId = (await handle.describe()).runId;
      const second = await workflows.start({ ...request(dep), trigger: "latency-p99-increase" });
      expect(second.workflowId).toBe(first.workflowId);
      expect((await handle.describe()).runId).toBe(runId);
      await handle.result();
      // After it closed, the id is not reused either.
      expect(await workflows.start(request(dep))).toEqual({ workflowId: first.workflowId, started: false });
      expect(executor.executed).toHaveLength(1);
      expect(executor.executed[0]?.request.trigger).toBe("error-rate-increase");
    });
  });
});
