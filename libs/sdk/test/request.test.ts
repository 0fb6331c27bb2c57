// The SDK against the real policy service: every fail-closed cause, each beside a control that shows
// the happy path, and approvals through the stand-in of the approval service's wire API.
import { createPublisher, events } from "@warden/messaging";
import type { ActionExecutedData, Envelope } from "@warden/messaging";
import { Kvm } from "@nats-io/kv";
import type { Msg } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AbortedError,
  ApprovalRefusedError,
  canonicalDigest,
  ConsumeRefusedError,
  DeniedError,
  GarbageReplyError,
  InvalidActionError,
  NoRespondersError,
  RequestTimeoutError,
  StopStateUnknownError,
} from "../src/index.ts";
import type { WardenAgent } from "../src/index.ts";
import {
  collect,
  executedOf,
  startApprovalStandIn,
  startTcpProxy,
  startWarden,
  WAIT,
  agentConnect,
} from "./support.ts";
import type { ApprovalStandIn, Warden } from "./support.ts";

const AGENT = "release-pipeline";
const staging = {
  action: "change.deploy",
  changeType: "code",
  environment: "staging",
  versionChange: "patch",
} as const;
const production = { ...staging, environment: "production" } as const;

let w: Warden;
let bare: Warden; // a namespace with no policy service: fake responders only
let agent: WardenAgent;
let approval: ApprovalStandIn;
let executed: Envelope<ActionExecutedData>[];
let n = 0;
const id = (what: string) => `${what}-${++n}`;

beforeAll(async () => {
  [w, bare] = await Promise.all([startWarden(), startWarden({ policy: false })]);
  approval = await startApprovalStandIn(w);
  agent = await agentConnect({ agentId: AGENT, natsUrl: w.natsUrl, namespace: w.t.namespace });
  executed = collect(w.nc, w.t.subjects.actionExecuted(AGENT), events.actionExecuted).seen;
  await w.nc.flush();
});

afterAll(async () => {
  await agent.close();
  await approval.stop();
  await Promise.all([w.stop(), bare.stop()]);
});

describe("allowed and denied", () => {
  it("control: an allowed action runs and its outcome is reported with digest and AI context", async () => {
    const actionId = id("allowed");
    const result = await agent.guard(
      { ...staging, actionId, ai: { model: "gpt-test", rationale: "patch is green" } },
      (signal) => {
        expect(signal.aborted).toBe(false);
        return { deployed: "v1.2.4", replicas: 3 };
      },
      { prompt: "deploy the patch" },
    );
    expect(result).toEqual({ deployed: "v1.2.4", replicas: 3 });
    await expect.poll(() => executedOf(executed, actionId), WAIT).toBeDefined();
    const e = executedOf(executed, actionId);
    expect(e?.data).toMatchObject({
      actionId,
      agentId: AGENT,
      outcome: "EXECUTION_OUTCOME_SUCCEEDED",
      resultDigest: canonicalDigest({ replicas: 3, deployed: "v1.2.4" }),
      ai: {
        model: "gpt-test",
        rationale: "patch is green",
        promptDigest: canonicalDigest("deploy the patch"),
      },
    });
    expect(e?.data.requestDigest).toMatch(/^sha256:/);
    expect(e?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(e?.actor).toMatchObject({ type: "ai_agent", id: AGENT });
  });

  it("a denied action never runs (DeniedError); request returns the decision", async () => {
    let ran = false;
    const action = { action: "db.drop", actionId: id("denied") };
    await expect(agent.guard(action, () => (ran = true))).rejects.toBeInstanceOf(DeniedError);
    expect(ran).toBe(false);
    const decided = await agent.request({ action: "db.drop" });
    expect(decided.outcome).toBe("denied");
    expect(decided.decision.outcome).toBe("OUTCOME_DENY");
  });

  it("an invalid action is refused before anything is asked, naming the field", async () => {
    await expect(
      agent.guard({ action: "change.deploy", environment: "moon" as "staging" }, () => 1),
    ).rejects.toThrow(InvalidActionError);
    await expect(agent.request({ action: "" })).rejects.toThrow(/action\.action/);
  });
});

describe("fail closed on the wire", () => {
  it("no responders → NoRespondersError (control: the same agent where the policy runs is allowed)", async () => {
    const other = await agentConnect({ agentId: AGENT, natsUrl: w.natsUrl, namespace: bare.t.namespace });
    try {
      let ran = false;
      await expect(other.guard(staging, () => (ran = true))).rejects.toBeInstanceOf(NoRespondersError);
      expect(ran).toBe(false);
      await expect(agent.guard(staging, () => "ok")).resolves.toBe("ok");
    } finally {
      await other.close();
    }
  });

  it("a responder that never answers → RequestTimeoutError (control: one that answers is heard)", async () => {
    const sub = bare.nc.subscribe(bare.t.rpc.policyEvaluate("silent-bot"), { callback: () => undefined });
    const echo = bare.nc.subscribe(bare.t.rpc.policyEvaluate("echo-bot"), {
      callback: (_e, msg) => {
        msg.respond(JSON.stringify({ ok: false, error: { code: "internal", message: "x" } }));
      },
    });
    await bare.nc.flush();
    const silent = await agentConnect({
      agentId: "silent-bot",
      natsUrl: w.natsUrl,
      namespace: bare.t.namespace,
      rpcTimeoutMs: 300,
    });
    const echoing = await agentConnect({
      agentId: "echo-bot",
      natsUrl: w.natsUrl,
      namespace: bare.t.namespace,
    });
    try {
      const err = await silent.request(staging).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect((err as RequestTimeoutError).waitingFor).toBe("policy");
      // Control: the same path reaches a responder that answers (here with an error reply).
      await expect(echoing.request(staging)).rejects.toThrow(/policy answered internal/);
    } finally {
      sub.unsubscribe();
      echo.unsubscribe();
      await Promise.all([silent.close(), echoing.close()]);
    }
  });

  it.each([
    ["not JSON", () => "<html>"],
    ["not an RPC reply", () => JSON.stringify({ hello: "world" })],
    [
      "an outcome that does not exist",
      (body: Record<string, unknown>) => reply(body, { outcome: "OUTCOME_MAYBE" }),
    ],
    [
      "a decision about another action",
      (body: Record<string, unknown>) => reply(body, { actionId: "someone-else" }),
    ],
    [
      "a decision about another request",
      (body: Record<string, unknown>) => reply(body, { requestDigest: "sha256:00" }),
    ],
  ])("a garbage reply (%s) → GarbageReplyError", async (_name, answer) => {
    const agentId = `garbage-${++n}`;
    const sub = bare.nc.subscribe(bare.t.rpc.policyEvaluate(agentId), {
      callback: (_e, msg: Msg) => {
        msg.respond(answer(msg.json<Record<string, unknown>>()));
      },
    });
    await bare.nc.flush();
    const garbage = await agentConnect({ agentId, natsUrl: w.natsUrl, namespace: bare.t.namespace });
    try {
      let ran = false;
      await expect(garbage.guard(staging, () => (ran = true))).rejects.toBeInstanceOf(GarbageReplyError);
      expect(ran).toBe(false);
    } finally {
      sub.unsubscribe();
      await garbage.close();
    }
  });

  it("control for the garbage cases: the same fake with a well-formed allow is obeyed", async () => {
    const agentId = `wellformed-${++n}`;
    const sub = bare.nc.subscribe(bare.t.rpc.policyEvaluate(agentId), {
      callback: (_e, msg: Msg) => {
        msg.respond(reply(msg.json<Record<string, unknown>>(), {}));
      },
    });
    await bare.nc.flush();
    const ok = await agentConnect({ agentId, natsUrl: w.natsUrl, namespace: bare.t.namespace });
    try {
      await expect(ok.request(staging)).resolves.toMatchObject({ outcome: "allowed" });
    } finally {
      sub.unsubscribe();
      await ok.close();
    }
  });

  it("the caller's AbortSignal ends the wait (AbortedError)", async () => {
    const controller = new AbortController();
    const pending = agent.request({ ...production, actionId: id("aborted") }, { signal: controller.signal });
    controller.abort(new Error("user gave up"));
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });
});

/** A well-formed decision for the request in `body`, with `patch` applied. */
function reply(body: Record<string, unknown>, patch: Record<string, unknown>): string {
  return JSON.stringify({
    ok: true,
    result: {
      actionId: body["actionId"],
      agentId: body["agentId"],
      outcome: "OUTCOME_ALLOW",
      bundleDigest: "sha256:fake",
      evaluatedAt: new Date().toISOString(),
      requestDigest: canonicalDigest(body),
      ...patch,
    },
  });
}

describe("unknown kill-switch state", () => {
  it("garbage in the bucket → StopStateUnknownError, nothing asked or run (control: valid state → runs)", async () => {
    const kv = await new Kvm(w.nc).open(w.t.kv.killswitch);
    await expect(agent.guard(staging, () => "before")).resolves.toBe("before");
    await kv.put("epoch", "not an epoch");
    await expect.poll(() => agent.stopState().kind, WAIT).toBe("unknown");
    let ran = false;
    await expect(agent.guard(staging, () => (ran = true))).rejects.toBeInstanceOf(StopStateUnknownError);
    expect(ran).toBe(false);
    await kv.put("epoch", "0");
    await expect.poll(() => agent.stopState().kind, WAIT).toBe("clear");
    // The policy service watches the same key on its own connection: it may still see the garbage
    // (and deny, fail closed) for a moment after the agent sees the repair.
    await expect
      .poll(() => agent.guard(staging, () => "after").catch((e: unknown) => String(e)), WAIT)
      .toBe("after");
  });
});

describe("approvals (approval service stand-in)", () => {
  it("control: approved → consumed once → runs, reported as approved", async () => {
    const actionId = id("approved");
    const pending = agent.guard({ ...production, actionId }, () => "shipped");
    await approval.seen(actionId);
    await approval.approve(actionId);
    await expect(pending).resolves.toBe("shipped");
    expect(approval.consumeCalls.get(actionId)).toBe(1);
    await expect.poll(() => executedOf(executed, actionId)?.data.approved, WAIT).toBe(true);
  });

  it("a verdict that comes before the policy's reply is not missed (the waiter is registered first)", async () => {
    // The stand-in approves on the decision event, which the policy publishes before it replies.
    const actionId = id("fast");
    approval.autoApprove.add(actionId);
    await expect(agent.request({ ...production, actionId })).resolves.toMatchObject({ outcome: "approved" });

    // Deterministic: a fake policy that publishes the verdict, then replies approval_required.
    const agentId = `fast-${++n}`;
    const publisher = createPublisher(bare.nc, { source: "fake-policy" });
    const sub = bare.nc.subscribe(bare.t.rpc.policyEvaluate(agentId), {
      callback: (_e, msg: Msg) => {
        const body = msg.json<Record<string, unknown>>();
        const fastId = String(body["actionId"]);
        void publisher
          .publish(bare.t.subjects.actionVerdict("proceed", agentId), events.actionVerdict, {
            actionId: fastId,
            data: {
              actionId: fastId,
              agentId,
              verdict: "VERDICT_PROCEED",
              status: "APPROVAL_STATUS_APPROVED",
              requestDigest: canonicalDigest(body),
            },
          })
          .then(() => msg.respond(reply(body, { outcome: "OUTCOME_APPROVAL_REQUIRED" })));
      },
    });
    await bare.nc.flush();
    const fast = await agentConnect({ agentId, natsUrl: w.natsUrl, namespace: bare.t.namespace });
    try {
      await expect(fast.request(production, { timeoutMs: 10_000 })).resolves.toMatchObject({
        outcome: "approved",
      });
    } finally {
      sub.unsubscribe();
      await fast.close();
    }
  });

  it.each([
    ["APPROVAL_STATUS_REJECTED", "rejected by bob"],
    ["APPROVAL_STATUS_BLOCKED", "cto level timed out"],
    ["APPROVAL_STATUS_EXPIRED", "bundle changed"],
  ] as const)("%s → ApprovalRefusedError, never runs", async (status, reason) => {
    const actionId = id("refused");
    let ran = false;
    const pending = agent.guard({ ...production, actionId }, () => (ran = true)).catch((e: unknown) => e);
    await approval.seen(actionId);
    await approval.refuse(actionId, status, reason);
    const err = await pending;
    expect(err).toBeInstanceOf(ApprovalRefusedError);
    expect((err as ApprovalRefusedError).status).toBe(status);
    expect(ran).toBe(false);
  });

  it("no verdict in time → RequestTimeoutError(verdict)", async () => {
    const err = await agent
      .request({ ...production, actionId: id("slow") }, { timeoutMs: 3_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect((err as RequestTimeoutError).waitingFor).toBe("verdict");
  });

  it("an approval is used once: a second guard with the same approval is refused (ConsumeRefusedError)", async () => {
    const actionId = id("once");
    const first = agent.guard({ ...production, actionId }, () => "first");
    await approval.seen(actionId);
    await approval.approve(actionId);
    await expect(first).resolves.toBe("first");
    let ranAgain = false;
    const err = await agent
      .guard({ ...production, actionId }, () => (ranAgain = true))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsumeRefusedError);
    expect((err as ConsumeRefusedError).refusal).toBe("already_consumed");
    expect(ranAgain).toBe(false);
    expect(approval.consumeCalls.get(actionId)).toBe(2);
  });

  // Control for the read-back below: nobody serves wardenrpc.approval.verdict.<agent> here (agents
  // may not create consumers on WARDEN_EVENTS either), so a verdict missed while cut off is never
  // acted on, and the wait fails closed at its deadline.
  it("control: without the verdict RPC, a verdict published while the agent was cut off is never acted on: the wait fails closed", async () => {
    const proxy = await startTcpProxy(w.natsUrl);
    const cutOff = await agentConnect({
      agentId: AGENT,
      natsUrl: proxy.url,
      namespace: w.t.namespace,
      reconnectTimeWaitMs: 100,
    });
    try {
      const actionId = id("partitioned");
      let decided!: () => void;
      const waiting = new Promise<void>((resolve) => (decided = resolve));
      const pending = cutOff.request(
        { ...production, actionId },
        { timeoutMs: 10_000, onDecision: () => decided() },
      );
      await Promise.race([waiting, pending]); // the agent has its approval_required decision and waits for the verdict
      await proxy.cut();
      await approval.approve(actionId); // the agent's core subscription cannot see this one
      await proxy.restore();
      const err = await pending.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect((err as RequestTimeoutError).waitingFor).toBe("verdict");
    } finally {
      await cutOff.close();
      await proxy.close();
    }
  });

  describe("with the verdict read-back RPC served", () => {
    beforeAll(() => approval.serveVerdicts());
    afterAll(() => approval.stopServingVerdicts());

    it("a verdict published while the agent was cut off is read back after the reconnect", async () => {
      const proxy = await startTcpProxy(w.natsUrl);
      const cutOff = await agentConnect({
        agentId: AGENT,
        natsUrl: proxy.url,
        namespace: w.t.namespace,
        reconnectTimeWaitMs: 100,
      });
      try {
        const actionId = id("caught-up");
        let decided!: () => void;
        const waiting = new Promise<void>((resolve) => (decided = resolve));
        const pending = cutOff.request(
          { ...production, actionId },
          { timeoutMs: 60_000, onDecision: () => decided() },
        );
        await Promise.race([waiting, pending]); // a failed request fails here, not at the test timeout
        await proxy.cut();
        await approval.approve(actionId); // published while the agent cannot see it
        await proxy.restore();
        const result = await pending;
        if (result.outcome !== "approved") throw new Error(`expected approved, got ${result.outcome}`);
        expect(result.verdict).toMatchObject({ actionId, agentId: AGENT, verdict: "VERDICT_PROCEED" });
        expect(approval.verdictCalls.get(actionId)).toBeGreaterThanOrEqual(1);
      } finally {
        await cutOff.close();
        await proxy.close();
      }
    });

    it("a verdict never heard is asked for once before the wait would time out", async () => {
      const actionId = id("last-call");
      let decided!: () => void;
      const waiting = new Promise<void>((resolve) => (decided = resolve));
      const pending = agent.request(
        { ...production, actionId },
        { timeoutMs: 6_000, onDecision: () => decided() },
      );
      await Promise.race([waiting, pending]);
      await approval.approveSilently(actionId); // no verdict event: only the read-back can tell
      const result = await pending;
      expect(result.outcome).toBe("approved");
      expect(approval.verdictCalls.get(actionId)).toBe(1);
    });

    it("a pending approval read back is still a timeout at the deadline (fail closed)", async () => {
      const actionId = id("still-pending");
      const err = await agent
        .request({ ...production, actionId }, { timeoutMs: 5_000 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect((err as RequestTimeoutError).waitingFor).toBe("verdict");
      expect(approval.verdictCalls.get(actionId)).toBe(1);
    });
  });
});
