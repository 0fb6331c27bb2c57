// The approval workflow under the time-skipping server: every workflow of governance/workflows.yaml
// through its chain (hours of timers in milliseconds), every refusal, escalate, delegate, request
// changes, break-glass, stops, consume and expiry, and concurrent voters.
import type { WorkflowHandle } from "@temporalio/client";
import { startTimeSkipping, type TimeSkippingServer } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActivityName } from "../src/activities/activities.ts";
import {
  consumeUpdate,
  stateQuery,
  stopSignal,
  voteUpdate,
  type ApprovalDefinition,
  type ApprovalView,
  type ConsumeInput,
  type VoteInput,
} from "../src/workflows/contract.ts";
import type { approvalWorkflow } from "../src/workflows/index.ts";
import {
  AGENT,
  BUNDLE_DIGEST,
  LAUNCHER,
  REQUEST_DIGEST,
  ai,
  approvalInput,
  governanceDefinitions,
  human,
  refusalOf,
  startApprovalWorker,
  vote,
  type RunningApprovalWorker,
} from "./support.ts";

type Handle = WorkflowHandle<typeof approvalWorkflow>;

let server: TimeSkippingServer;
let w: RunningApprovalWorker;
let defs: Map<string, ApprovalDefinition>;

beforeAll(async () => {
  server = await startTimeSkipping();
  w = await startApprovalWorker(server.env.client, server.env.nativeConnection);
  defs = await governanceDefinitions();
});
afterAll(async () => {
  await w?.stop();
  await server?.stop();
});

const def = (id: string): ApprovalDefinition => defs.get(id) ?? expect.unreachable(`no workflow ${id}`);
const consumeInput = (over: Partial<ConsumeInput> = {}): ConsumeInput => ({
  agentId: AGENT,
  requestDigest: REQUEST_DIGEST,
  bundleDigest: BUNDLE_DIGEST,
  killswitchEpoch: 3,
  ...over,
});
const cast = (h: Handle, v: VoteInput): Promise<ApprovalView> => h.executeUpdate(voteUpdate, { args: [v] });
const names = (actionId: string): ActivityName[] => w.recorded.forAction(actionId).map((c) => c.name);
const count = (actionId: string, name: ActivityName): number =>
  names(actionId).filter((n) => n === name).length;
/**
 * Ends a test's approval through the workflow itself (a reject), never by terminating it: the
 * time-skipping server keeps time locked for an activity still running when a workflow is terminated.
 */
async function finish(h: Handle, role: string): Promise<void> {
  await cast(h, vote(human(`closer-${role}`, role), "reject", { comment: "test done" }));
  expect((await h.result()).status).toBe("rejected");
}
async function acceptedUpdates(h: Handle): Promise<number> {
  const history = await h.fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes != null)
    .length;
}

/** Distinct approvers for a definition: required roles first, then eligible roles round-robin. */
function approversFor(d: ApprovalDefinition): ReturnType<typeof human>[] {
  const roles = [...d.requiredRoles];
  for (let i = 0; roles.length < Math.max(d.minApprovers, 1); i++)
    roles.push(d.eligibleRoles[i % d.eligibleRoles.length] ?? "");
  return roles.map((role, i) => human(`${d.workflow}-approver-${i}`, role));
}

describe("every workflow of governance/workflows.yaml", () => {
  it("has eleven definitions (rollback_escalation and agent_reenable included), each with an escalation chain", () => {
    expect([...defs.keys()]).toHaveLength(11);
    expect([...defs.keys()]).toEqual(expect.arrayContaining(["rollback_escalation", "agent_reenable"]));
    for (const d of defs.values()) expect(d.escalation.length).toBeGreaterThan(0);
  });

  it("reaches quorum, is consumed once, and a second consume is refused", async () => {
    const runs = await Promise.all(
      [...defs.values()].map(async (d) => {
        const h = await w.start(approvalInput(d));
        const approvers = approversFor(d);
        let view: ApprovalView | undefined;
        for (const [i, a] of approvers.entries()) {
          view = await cast(h, vote(a, "approve"));
          expect(view.status).toBe(i === approvers.length - 1 ? "approved" : "pending");
        }
        const first = await h.executeUpdate(consumeUpdate, { args: [consumeInput()] });
        const second = await h.executeUpdate(consumeUpdate, { args: [consumeInput()] });
        return { d, h, first, second, approvers };
      }),
    );
    for (const { d, h, first, second, approvers } of runs) {
      expect(first).toMatchObject({ consumed: true });
      expect(second).toMatchObject({ consumed: false, refusal: "already_consumed" });
      const done = await h.result();
      expect(done).toMatchObject({
        status: "approved",
        consumed: true,
        approvals: approvers.length,
        workflow: d.workflow,
      });
      const id = done.actionId;
      expect(count(id, "publishRequested")).toBe(1);
      expect(count(id, "publishVoteCast")).toBe(approvers.length);
      expect(count(id, "publishResolved")).toBe(1);
      expect(w.recorded.of("publishVerdict").filter((e) => e.approval.actionId === id)).toMatchObject([
        { outcome: "approved" },
      ]);
      expect(w.recorded.of("publishRefusal").filter((e) => e.approval.actionId === id)).toMatchObject([
        { operation: "consume", code: "already_consumed" },
      ]);
      expect(count(id, "publishEscalated")).toBe(0);
    }
  });

  it("times out at each level, notifies the next level, and ends blocked (never approved)", async () => {
    const runs = await Promise.all(
      [...defs.values()].map(async (d) => {
        const h = await w.start(approvalInput(d));
        // one approval short of quorum: a timer must still never approve
        const approvers = approversFor(d).slice(0, -1);
        for (const a of approvers) await cast(h, vote(a, "approve"));
        return { d, h };
      }),
    );
    for (const { d, h } of runs) {
      const done = await h.result();
      expect(done).toMatchObject({
        status: "blocked",
        escalationLevel: d.escalation.length,
        consumed: false,
      });
      const id = done.actionId;
      const escalated = w.recorded.of("publishEscalated").filter((e) => e.approval.actionId === id);
      expect(escalated.map((e) => [e.fromLevel, e.toLevel, e.cause, e.roles])).toEqual(
        d.escalation.map((step, i) => [i, i + 1, "timeout", step.roles]),
      );
      const notified = w.recorded.of("notify").filter((e) => e.approval.actionId === id);
      expect(notified.map((n) => n.kind)).toEqual([
        "requested",
        ...d.escalation.map(() => "escalated"),
        "resolved",
      ]);
      expect(notified.at(-1)?.channels).toEqual(d.notify);
      expect(w.recorded.of("publishVerdict").filter((e) => e.approval.actionId === id)).toMatchObject([
        { outcome: "blocked" },
      ]);
    }
  });

  it("lets the escalation role vote once the first level timed out", async () => {
    const d = def("production_deployment");
    const h = await w.start(approvalInput(d));
    const elead = human("erin", "engineering-lead");
    expect(await refusalOf(cast(h, vote(elead, "approve")))).toBe("not_eligible");
    await server.env.sleep((d.timeoutSeconds + 1) * 1000);
    expect(await h.query(stateQuery)).toMatchObject({ escalationLevel: 1, status: "pending" });
    await cast(h, vote(elead, "approve"));
    const view = await cast(h, vote(human("tom", "team-lead"), "approve"));
    expect(view).toMatchObject({ status: "approved", escalationLevel: 1 });
    await h.executeUpdate(consumeUpdate, { args: [consumeInput()] });
    await h.result();
  });
});

// Time-dependent tests first: the time-skipping server can stay time-locked after many short
// workflows ended with activities in flight, and these need it to skip.
describe("validity timers", () => {
  it("break-glass approves alone, flagged, broadcast to every role, with a short validity", async () => {
    const d = def("compliance_change");
    const h = await w.start(approvalInput(d));
    const view = await cast(
      h,
      vote(human("ic", "incident-commander"), "break_glass", { comment: "regulator deadline" }),
    );
    expect(view).toMatchObject({ status: "approved", breakGlass: true, approvals: 0 });
    // not consumed: expires after breakGlassValiditySeconds (300 s), long before the 3600 s of an ordinary approval
    const done = await h.result();
    expect(done.status).toBe("expired");
    const validFor = Date.parse(done.resolvedAt ?? "") - Date.parse(done.votes[0]?.castAt ?? "");
    expect(validFor).toBeGreaterThanOrEqual(300_000);
    expect(validFor).toBeLessThan(360_000);
    const notified = w.recorded.of("notify").filter((n) => n.approval.actionId === done.actionId);
    const broadcast = notified.find((n) => n.kind === "break_glass");
    expect(broadcast?.roles).toEqual(
      expect.arrayContaining(["compliance-officer", "cto", "ceo", "incident-commander"]),
    );
  });
  it("expires an approval not consumed within its validity", async () => {
    const h = await w.start(approvalInput(def("ai_change_review"), { approvalValiditySeconds: 600 }));
    await cast(h, vote(human("tl", "team-lead"), "approve"));
    const done = await h.result();
    expect(done).toMatchObject({ status: "expired", consumed: false });
    const validFor = Date.parse(done.resolvedAt ?? "") - Date.parse(done.votes[0]?.castAt ?? "");
    expect(validFor).toBeGreaterThanOrEqual(600_000);
    expect(validFor).toBeLessThan(660_000);
  });
});

describe("emergency stop", () => {
  it("freezes a pending approval (no escalation, no block while frozen) and releases it with its remaining time", async () => {
    const d = def("production_deployment");
    const h = await w.start(approvalInput(d));
    await cast(h, vote(human("ann", "team-lead"), "approve"));
    await server.env.sleep(10 * 60_000);
    await h.signal(stopSignal, { state: "stopped", epoch: 4, reason: "incident 42" });
    const frozen = await h.query(stateQuery);
    expect(frozen).toMatchObject({ status: "frozen", escalationLevel: 0 });
    expect(frozen.frozenRemainingMs).toBeLessThanOrEqual(20 * 60_000);
    expect(frozen.frozenRemainingMs).toBeGreaterThan(19 * 60_000);
    expect(await refusalOf(cast(h, vote(human("bob", "team-lead"), "approve")))).toBe("frozen");
    expect((await h.executeUpdate(consumeUpdate, { args: [consumeInput()] })).refusal).toBe("frozen");
    await server.env.sleep(5 * 3600_000); // far past every deadline
    expect(await h.query(stateQuery)).toMatchObject({ status: "frozen", escalationLevel: 0 });
    expect(count(frozen.actionId, "publishEscalated")).toBe(0);

    await h.signal(stopSignal, { state: "clear", epoch: 5 });
    const clearedAt = await server.env.currentTimeMs();
    const released = await h.query(stateQuery);
    expect(released).toMatchObject({
      status: "pending",
      escalationLevel: 0,
      killswitchEpoch: 5,
      approvals: 1,
    });
    const left = Date.parse(released.levelDeadline ?? "") - clearedAt;
    expect(left).toBeLessThanOrEqual(frozen.frozenRemainingMs ?? 0);
    expect(left).toBeGreaterThan((frozen.frozenRemainingMs ?? 0) - 60_000);
    const approved = await cast(h, vote(human("bob", "team-lead"), "approve"));
    expect(approved.status).toBe("approved");
    expect((await h.executeUpdate(consumeUpdate, { args: [consumeInput()] })).refusal).toBe("epoch_changed");
    expect(
      (await h.executeUpdate(consumeUpdate, { args: [consumeInput({ killswitchEpoch: 5 })] })).consumed,
    ).toBe(true);
    await h.result();
  });

  it("voids an approval granted before the stop", async () => {
    const h = await w.start(approvalInput(def("ai_change_review")));
    await cast(h, vote(human("tl", "team-lead"), "approve"));
    await h.signal(stopSignal, { state: "stopped", epoch: 4 });
    const done = await h.result();
    expect(done).toMatchObject({ status: "expired", consumed: false });
    expect(done.reason).toContain("emergency stop");
    expect(
      w.recorded
        .of("publishVerdict")
        .filter((e) => e.approval.actionId === done.actionId)
        .map((e) => e.outcome),
    ).toEqual(["approved", "expired"]);
  });
});

describe("refusals (validator: nothing enters history)", () => {
  it("refuses each invalid vote with its code, and only valid votes are accepted", async () => {
    const h = await w.start(approvalInput(def("production_deployment")));
    const lead = human("ann", "team-lead");
    await cast(h, vote(lead, "approve"));
    const refused: [VoteInput, string][] = [
      [vote(human(AGENT, "team-lead"), "approve"), "self_approval"],
      [vote(human(LAUNCHER, "team-lead"), "approve"), "self_approval"],
      [vote(human("zed", "marketing"), "approve"), "not_eligible"],
      [vote({ type: "service", id: "ci", roles: ["team-lead"] }, "approve"), "not_eligible"],
      [vote(lead, "approve"), "already_voted"],
      [vote(ai("helper-ai"), "escalate"), "ai_cannot_approve"],
      [vote(human("bob", "on-call-engineer"), "reject"), "reason_required"],
      [vote(human("bob", "on-call-engineer"), "request_changes"), "reason_required"],
      [vote(human("ic", "incident-commander"), "break_glass"), "reason_required"],
      [vote(human("bob", "on-call-engineer"), "delegate", { delegateTo: AGENT }), "invalid_delegate"],
      [vote(human("bob", "on-call-engineer"), "delegate"), "invalid_delegate"],
      [
        vote(human("bob", "on-call-engineer"), "approve", { requestDigest: "sha256:other" }),
        "digest_mismatch",
      ],
      [vote(human("bob", "on-call-engineer"), "approve_all" as VoteInput["decision"]), "invalid_vote"],
    ];
    for (const [v, code] of refused) expect(await refusalOf(cast(h, v)), JSON.stringify(v)).toBe(code);
    // The refusal names field and reason:
    await expect(cast(h, vote(human("bob", "on-call-engineer"), "reject"))).rejects.toMatchObject({
      cause: { message: "comment is required to reject", type: "reason_required", nonRetryable: true },
    });
    expect(await acceptedUpdates(h)).toBe(1);
    expect((await h.query(stateQuery)).votes).toHaveLength(1);
    await finish(h, "team-lead");
  });

  it("refuses an AI vote where AI may not recommend; stores it as a recommendation where it may", async () => {
    const noAi = await w.start(approvalInput(def("security_change")));
    expect(await refusalOf(cast(noAi, vote(ai("helper-ai"), "approve")))).toBe("ai_cannot_approve");
    const withAi = await w.start(approvalInput(def("production_deployment")));
    const view = await cast(withAi, vote(ai("helper-ai"), "approve", { comment: "canary healthy" }));
    expect(view).toMatchObject({ approvals: 0, status: "pending" });
    expect(view.recommendations).toMatchObject([
      { voter: { id: "helper-ai" }, comment: "canary healthy", counted: false },
    ]);
    expect(await refusalOf(cast(withAi, vote(ai("helper-ai"), "approve")))).toBe("already_voted");
    await Promise.all([finish(noAi, "security-lead"), finish(withAi, "team-lead")]);
  });

  it("refuses votes once resolved, and escalate at the last level", async () => {
    const h = await w.start(approvalInput(def("customer_refund")));
    await cast(h, vote(human("sam", "support-lead"), "escalate"));
    expect(await refusalOf(cast(h, vote(human("sue", "support-lead"), "escalate")))).toBe("no_next_level");
    await cast(h, vote(human("sue", "support-lead"), "reject", { comment: "over the limit" }));
    expect(await refusalOf(cast(h, vote(human("max", "customer-support-manager"), "approve")))).toBe(
      "resolved",
    );
    const done = await h.result();
    expect(done).toMatchObject({ status: "rejected", reason: "rejected by sue: over the limit" });
  });
});

describe("decisions", () => {
  it("quorum across roles: each required role needs a distinct approver", async () => {
    const d: ApprovalDefinition = {
      ...def("security_change"),
      requiredRoles: ["security-lead", "engineering-lead"],
    };
    const h = await w.start(approvalInput(d));
    const both = await cast(h, vote(human("pat", "security-lead", "engineering-lead"), "approve"));
    expect(both).toMatchObject({ status: "pending", approvals: 1, required: 2 });
    expect(both.missingRoles).toHaveLength(1);
    const sec = await cast(h, vote(human("sec", "security-lead"), "approve"));
    expect(sec).toMatchObject({ status: "approved", approvals: 2, missingRoles: [] });
    await h.executeUpdate(consumeUpdate, { args: [consumeInput()] });
    await h.result();
  });

  it("escalate moves to the next level now", async () => {
    const h = await w.start(approvalInput(def("infrastructure_change")));
    const view = await cast(h, vote(human("olga", "ops-engineer"), "escalate"));
    expect(view).toMatchObject({ escalationLevel: 1, status: "pending" });
    expect(await refusalOf(cast(h, vote(human("olga", "ops-engineer"), "approve")))).toBe("already_voted");
    await cast(h, vote(human("lee", "ops-lead"), "approve"));
    await h.executeUpdate(consumeUpdate, { args: [consumeInput()] });
    const done = await h.result();
    expect(
      w.recorded.of("publishEscalated").filter((e) => e.approval.actionId === done.actionId),
    ).toMatchObject([{ fromLevel: 0, toLevel: 1, cause: "vote" }]);
  });

  it("delegate records both; the delegate votes at this level", async () => {
    const h = await w.start(approvalInput(def("financial_transaction")));
    const view = await cast(h, vote(human("fm", "finance-manager"), "delegate", { delegateTo: "dora" }));
    expect(view.delegates).toEqual(["dora"]);
    const done = await cast(h, vote(human("dora"), "approve"));
    expect(done).toMatchObject({ status: "approved", approvals: 1 });
    expect(done.votes.map((v) => [v.voter.id, v.decision, v.delegateTo, v.counted])).toEqual([
      ["fm", "delegate", "dora", false],
      ["dora", "approve", undefined, true],
    ]);
    await h.executeUpdate(consumeUpdate, { args: [consumeInput()] });
    await h.result();
  });

  it("request changes resolves with the reason", async () => {
    const h = await w.start(approvalInput(def("major_version")));
    await cast(h, vote(human("po", "product-owner"), "request_changes", { comment: "missing changelog" }));
    expect(await h.result()).toMatchObject({
      status: "changes_requested",
      reason: "changes requested by po: missing changelog",
    });
  });
});

describe("consume", () => {
  it("refuses a wrong digest, bundle, epoch or agent, then consumes", async () => {
    const h = await w.start(approvalInput(def("ai_change_review")));
    expect((await h.executeUpdate(consumeUpdate, { args: [consumeInput()] })).refusal).toBe("not_approved");
    await cast(h, vote(human("tl", "team-lead"), "approve"));
    const tries: [Partial<ConsumeInput>, string][] = [
      [{ requestDigest: "sha256:other" }, "digest_mismatch"],
      [{ bundleDigest: "sha256:other" }, "bundle_changed"],
      [{ killswitchEpoch: 4 }, "epoch_changed"],
      [{ agentId: "other-bot" }, "wrong_agent"],
    ];
    for (const [over, refusal] of tries)
      expect(await h.executeUpdate(consumeUpdate, { args: [consumeInput(over)] })).toMatchObject({
        consumed: false,
        refusal,
      });
    expect(await h.executeUpdate(consumeUpdate, { args: [consumeInput()] })).toMatchObject({
      consumed: true,
    });
    const done = await h.result();
    expect(
      w.recorded
        .of("publishRefusal")
        .filter((e) => e.approval.actionId === done.actionId)
        .map((e) => e.code),
    ).toEqual(["not_approved", "digest_mismatch", "bundle_changed", "epoch_changed", "wrong_agent"]);
  });
});

describe("concurrency", () => {
  it("20 parallel voters are each counted once", async () => {
    const d: ApprovalDefinition = { ...def("production_deployment"), minApprovers: 21 };
    const h = await w.start(approvalInput(d));
    const voters = Array.from({ length: 20 }, (_, i) =>
      human(`voter-${i}`, i % 2 ? "team-lead" : "on-call-engineer"),
    );
    const views = await Promise.all(voters.map((v) => cast(h, vote(v, "approve"))));
    expect(new Set(views.map((v) => v.approvals))).toEqual(
      new Set(Array.from({ length: 20 }, (_, i) => i + 1)),
    );
    const state = await h.query(stateQuery);
    expect(state).toMatchObject({ approvals: 20, status: "pending" });
    expect(new Set(state.votes.map((v) => v.voter.id)).size).toBe(20);
    const last = await cast(h, vote(human("voter-20", "team-lead"), "approve"));
    expect(last).toMatchObject({ approvals: 21, status: "approved" });
    await h.executeUpdate(consumeUpdate, { args: [consumeInput()] });
    const done = await h.result();
    expect(count(done.actionId, "publishVoteCast")).toBe(21);
    expect(count(done.actionId, "publishResolved")).toBe(1);
  });

  it("the same vote delivered twice at once counts once", async () => {
    const h = await w.start(approvalInput(def("production_deployment")));
    const v = vote(human("ann", "team-lead"), "approve");
    const outcomes = await Promise.allSettled([cast(h, v), cast(h, v)]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === "rejected");
    expect(await refusalOf(Promise.reject((rejected as PromiseRejectedResult).reason as Error))).toBe(
      "already_voted",
    );
    expect(await h.query(stateQuery)).toMatchObject({ approvals: 1, status: "pending" });
    await finish(h, "team-lead");
  });

  it("two approvers at the same instant reach quorum exactly once; a third is refused as resolved", async () => {
    const h = await w.start(approvalInput(def("production_deployment")));
    const outcomes = await Promise.allSettled([
      cast(h, vote(human("ann", "team-lead"), "approve")),
      cast(h, vote(human("bob", "on-call-engineer"), "approve")),
      cast(h, vote(human("cy", "team-lead"), "approve")),
    ]);
    const ok = outcomes.filter((o): o is PromiseFulfilledResult<ApprovalView> => o.status === "fulfilled");
    expect(ok).toHaveLength(2);
    expect(ok.map((o) => o.value.approvals).sort()).toEqual([1, 2]);
    const third = outcomes.find((o) => o.status === "rejected");
    expect(await refusalOf(Promise.reject((third as PromiseRejectedResult).reason as Error))).toBe(
      "resolved",
    );
    await h.executeUpdate(consumeUpdate, { args: [consumeInput()] });
    const done = await h.result();
    expect(done).toMatchObject({ approvals: 2, status: "approved", consumed: true });
    expect(count(done.actionId, "publishResolved")).toBe(1);
  });

  it("an event whose activity fails is retried and sent once", async () => {
    w.recorded.failNext("publishRequested", 2);
    const h = await w.start(approvalInput(def("customer_refund")));
    await cast(h, vote(human("sl", "support-lead"), "reject", { comment: "duplicate refund" }));
    const done = await h.result();
    expect(names(done.actionId)).toEqual([
      "publishRequested",
      "notify",
      "publishVoteCast",
      "publishResolved",
      "publishVerdict",
      "notify",
    ]);
  });
});
