import { describe, expect, it } from "vitest";
import {
  applyConsume,
  applyStop,
  applyVote,
  checkConsume,
  checkVote,
  createApprovalState,
  deadlinePassed,
  levelRoles,
  nextDeadline,
  toView,
  type ApprovalState,
} from "./approval-state.ts";
import type {
  ApprovalActor,
  ApprovalDefinition,
  ApprovalInput,
  ConsumeInput,
  VoteInput,
} from "./approval-types.ts";
import { VOTE_REFUSAL_CODES } from "./refusals.ts";

const T0 = Date.parse("2026-12-03T12:00:00Z");
const MIN = 60_000;

const definition: ApprovalDefinition = {
  workflow: "production_deployment",
  minApprovers: 2,
  eligibleRoles: ["team-lead", "on-call-engineer"],
  requiredRoles: [],
  timeoutSeconds: 1800,
  escalation: [{ roles: ["engineering-lead"], timeoutSeconds: 1800 }],
  aiMayRecommend: true,
  notify: ["slack:#deploy-approvals"],
};

function input(overrides: Partial<ApprovalInput> = {}): ApprovalInput {
  return {
    actionId: "a-1",
    agentId: "deploy-bot",
    requestedBy: { type: "human", id: "carol" },
    requestDigest: "sha256:req",
    bundleDigest: "sha256:bundle",
    killswitchEpoch: 3,
    risk: "high",
    environment: "production",
    definition,
    decision: {},
    breakGlassRoles: ["incident-commander"],
    breakGlassValiditySeconds: 300,
    approvalValiditySeconds: 3600,
    createdAt: new Date(T0).toISOString(),
    ...overrides,
  };
}

const human = (id: string, ...roles: string[]): ApprovalActor => ({ type: "human", id, roles });
const v = (
  voter: ApprovalActor,
  decision: VoteInput["decision"],
  extra: Partial<VoteInput> = {},
): VoteInput => ({
  voter,
  decision,
  ...extra,
});
const fresh = (overrides: Partial<ApprovalInput> = {}): ApprovalState =>
  createApprovalState(input(overrides), T0);
const codeOf = (s: ApprovalState, vote: VoteInput): string | undefined => checkVote(s, vote)?.code;
const consume = (over: Partial<ConsumeInput> = {}): ConsumeInput => ({
  agentId: "deploy-bot",
  requestDigest: "sha256:req",
  bundleDigest: "sha256:bundle",
  killswitchEpoch: 3,
  ...over,
});

function approved(): ApprovalState {
  const s = fresh();
  applyVote(s, v(human("ann", "team-lead"), "approve"), T0);
  applyVote(s, v(human("bob", "on-call-engineer"), "approve"), T0 + MIN);
  return s;
}

describe("votes: refusals", () => {
  it("refuses the requesting agent and the human who launched it (self_approval)", () => {
    const s = fresh();
    expect(checkVote(s, v(human("deploy-bot", "team-lead"), "approve"))).toEqual({
      code: "self_approval",
      field: "voter.id",
      message: "voter.id deploy-bot is the requesting agent and may not vote on its own action",
    });
    expect(codeOf(s, v(human("carol", "team-lead"), "approve"))).toBe("self_approval");
    expect(codeOf(s, v({ type: "ai_agent", id: "deploy-bot", roles: [] }, "approve"))).toBe("self_approval");
  });

  it("refuses a voter without a role of the level (not_eligible), and a non-human", () => {
    const s = fresh();
    const r = checkVote(s, v(human("eve", "engineering-lead"), "approve"));
    expect(r?.code).toBe("not_eligible");
    expect(r?.message).toContain("escalation level 0 (team-lead, on-call-engineer)");
    expect(codeOf(s, v({ type: "service", id: "ci", roles: ["team-lead"] }, "approve"))).toBe("not_eligible");
  });

  it("refuses a second vote by the same person (already_voted)", () => {
    const s = fresh();
    applyVote(s, v(human("ann", "team-lead"), "approve"), T0);
    expect(codeOf(s, v(human("ann", "team-lead"), "approve"))).toBe("already_voted");
    expect(codeOf(s, v(human("ann", "team-lead"), "reject", { comment: "changed my mind" }))).toBe(
      "already_voted",
    );
  });

  it("stores an AI vote as a recommendation where allowed, never counted", () => {
    const s = fresh();
    expect(
      checkVote(s, v({ type: "ai_agent", id: "reviewer-ai", roles: ["team-lead"] }, "approve")),
    ).toBeUndefined();
    applyVote(
      s,
      v({ type: "ai_agent", id: "reviewer-ai", roles: ["team-lead"] }, "approve", { comment: "tests green" }),
      T0,
    );
    const view = toView(s);
    expect(view.recommendations).toMatchObject([
      { voter: { id: "reviewer-ai" }, counted: false, comment: "tests green" },
    ]);
    expect(view.votes).toEqual([]);
    expect(view.approvals).toBe(0);
    expect(codeOf(s, v({ type: "ai_agent", id: "reviewer-ai", roles: [] }, "approve"))).toBe("already_voted");
  });

  it("refuses an AI vote where AI may not recommend, and AI escalate / delegate / break-glass (ai_cannot_approve)", () => {
    const noAi = fresh({ definition: { ...definition, aiMayRecommend: false } });
    const bot: ApprovalActor = {
      type: "ai_agent",
      id: "reviewer-ai",
      roles: ["team-lead", "incident-commander"],
    };
    expect(codeOf(noAi, v(bot, "approve"))).toBe("ai_cannot_approve");
    const s = fresh();
    expect(codeOf(s, v(bot, "escalate"))).toBe("ai_cannot_approve");
    expect(codeOf(s, v(bot, "delegate", { delegateTo: "ann" }))).toBe("ai_cannot_approve");
    expect(codeOf(s, v(bot, "break_glass", { comment: "x" }))).toBe("ai_cannot_approve");
  });

  it("requires a reason for reject, request_changes and break_glass (reason_required)", () => {
    const s = fresh();
    expect(checkVote(s, v(human("ann", "team-lead"), "reject"))).toEqual({
      code: "reason_required",
      field: "comment",
      message: "comment is required to reject",
    });
    expect(codeOf(s, v(human("ann", "team-lead"), "request_changes", { comment: "  " }))).toBe(
      "reason_required",
    );
    expect(codeOf(s, v(human("ic", "incident-commander"), "break_glass"))).toBe("reason_required");
  });

  it("refuses a delegation without target, to the requester, to oneself or to someone who voted (invalid_delegate)", () => {
    const s = fresh();
    applyVote(s, v(human("bob", "team-lead"), "approve"), T0);
    const ann = human("ann", "team-lead");
    expect(codeOf(s, v(ann, "delegate"))).toBe("invalid_delegate");
    expect(codeOf(s, v(ann, "delegate", { delegateTo: "deploy-bot" }))).toBe("invalid_delegate");
    expect(codeOf(s, v(ann, "delegate", { delegateTo: "carol" }))).toBe("invalid_delegate");
    expect(codeOf(s, v(ann, "delegate", { delegateTo: "ann" }))).toBe("invalid_delegate");
    expect(checkVote(s, v(ann, "delegate", { delegateTo: "bob" }))?.message).toBe(
      "delegateTo bob already voted",
    );
  });

  it("refuses a vote bound to another digest (digest_mismatch)", () => {
    expect(codeOf(fresh(), v(human("ann", "team-lead"), "approve", { requestDigest: "sha256:other" }))).toBe(
      "digest_mismatch",
    );
    expect(
      codeOf(fresh(), v(human("ann", "team-lead"), "approve", { requestDigest: "sha256:req" })),
    ).toBeUndefined();
  });

  it("refuses votes after resolution (resolved) and while frozen (frozen)", () => {
    expect(codeOf(approved(), v(human("cy", "team-lead"), "approve"))).toBe("resolved");
    const s = fresh();
    applyStop(s, { state: "stopped", epoch: 4 }, T0);
    expect(codeOf(s, v(human("cy", "team-lead"), "approve"))).toBe("frozen");
  });

  it("refuses escalate at the last level (no_next_level) and malformed votes (invalid_vote)", () => {
    const s = fresh();
    applyVote(s, v(human("ann", "team-lead"), "escalate"), T0);
    expect(codeOf(s, v(human("bob", "team-lead"), "escalate"))).toBe("no_next_level");
    expect(codeOf(s, v(human("bob", "team-lead"), "maybe" as VoteInput["decision"]))).toBe("invalid_vote");
    expect(codeOf(s, v(human("", "team-lead"), "approve"))).toBe("invalid_vote");
  });

  it("only uses documented codes", () => {
    expect(VOTE_REFUSAL_CODES).toContain("self_approval");
    expect(new Set(VOTE_REFUSAL_CODES).size).toBe(VOTE_REFUSAL_CODES.length);
  });

  it("applyVote throws on a vote checkVote refuses (the handler can never apply a refused vote)", () => {
    expect(() => applyVote(fresh(), v(human("carol", "team-lead"), "approve"), T0)).toThrow(/self_approval/);
  });
});

describe("votes: outcomes", () => {
  it("approves at quorum, with a validity", () => {
    const s = approved();
    const view = toView(s);
    expect(view).toMatchObject({ status: "approved", approvals: 2, required: 2, breakGlass: false });
    expect(view.validUntil).toBe(new Date(T0 + MIN + 3600_000).toISOString());
  });

  it("rejects and requests changes with the reason", () => {
    const r = fresh();
    applyVote(r, v(human("ann", "team-lead"), "reject", { comment: "no rollback plan" }), T0);
    expect(toView(r)).toMatchObject({ status: "rejected", reason: "rejected by ann: no rollback plan" });
    const c = fresh();
    applyVote(c, v(human("ann", "team-lead"), "request_changes", { comment: "add tests" }), T0);
    expect(toView(c).status).toBe("changes_requested");
  });

  it("escalates on an escalate vote: next level's roles may vote, earlier approvals keep counting", () => {
    const s = fresh();
    applyVote(s, v(human("ann", "team-lead"), "approve"), T0);
    const effects = applyVote(s, v(human("bob", "on-call-engineer"), "escalate"), T0 + MIN);
    expect(effects).toContainEqual({
      kind: "escalated",
      fromLevel: 0,
      toLevel: 1,
      cause: "vote",
      roles: ["engineering-lead"],
    });
    expect(levelRoles(definition, 1)).toEqual(["team-lead", "on-call-engineer", "engineering-lead"]);
    expect(codeOf(s, v(human("eve", "engineering-lead"), "approve"))).toBeUndefined();
    applyVote(s, v(human("eve", "engineering-lead"), "approve"), T0 + 2 * MIN);
    expect(toView(s)).toMatchObject({ status: "approved", approvals: 2 });
  });

  it("delegates: both recorded, the delegate votes at this level with the delegator's roles", () => {
    const s = fresh({ definition: { ...definition, requiredRoles: ["on-call-engineer"] } });
    applyVote(s, v(human("oc", "on-call-engineer"), "delegate", { delegateTo: "dan" }), T0);
    expect(toView(s).delegates).toEqual(["dan"]);
    expect(toView(s).votes).toMatchObject([
      { voter: { id: "oc" }, decision: "delegate", delegateTo: "dan", counted: false },
    ]);
    applyVote(s, v(human("dan"), "approve"), T0 + MIN); // dan holds no role himself
    applyVote(s, v(human("ann", "team-lead"), "approve"), T0 + 2 * MIN);
    expect(toView(s)).toMatchObject({ status: "approved", missingRoles: [] });
    expect(codeOf(fresh(), v(human("dan"), "approve"))).toBe("not_eligible");
  });

  it("break-glass approves alone, flagged, with the short validity", () => {
    const s = fresh();
    applyVote(s, v(human("ic", "incident-commander"), "break_glass", { comment: "outage, fix now" }), T0);
    expect(toView(s)).toMatchObject({ status: "approved", breakGlass: true, approvals: 0 });
    expect(toView(s).validUntil).toBe(new Date(T0 + 300_000).toISOString());
    expect(codeOf(fresh(), v(human("ann", "team-lead"), "break_glass", { comment: "x" }))).toBe(
      "not_eligible",
    );
  });
});

describe("timers", () => {
  it("escalates when a level times out, blocks after the last one, never approves", () => {
    const s = fresh();
    applyVote(s, v(human("ann", "team-lead"), "approve"), T0);
    expect(nextDeadline(s)).toBe(T0 + 30 * MIN);
    expect(deadlinePassed(s, T0 + 29 * MIN)).toEqual([]);
    expect(deadlinePassed(s, T0 + 30 * MIN)).toMatchObject([
      { kind: "escalated", cause: "timeout", toLevel: 1 },
    ]);
    expect(nextDeadline(s)).toBe(T0 + 60 * MIN);
    expect(deadlinePassed(s, T0 + 60 * MIN)).toMatchObject([{ kind: "resolved", status: "blocked" }]);
    expect(toView(s).status).toBe("blocked");
    expect(nextDeadline(s)).toBeUndefined();
  });

  it("expires an approval not consumed within its validity", () => {
    const s = approved();
    expect(deadlinePassed(s, T0 + MIN + 3600_000)).toMatchObject([{ kind: "resolved", status: "expired" }]);
    expect(checkConsume(s, consume(), T0 + 2 * 3600_000)?.refusal).toBe("expired");
  });
});

describe("emergency stop", () => {
  it("freezes a pending approval with its remaining time, and resumes it on clear at the new epoch", () => {
    const s = fresh();
    applyStop(s, { state: "stopped", epoch: 4, reason: "incident" }, T0 + 10 * MIN);
    expect(toView(s)).toMatchObject({ status: "frozen", frozenRemainingMs: 20 * MIN });
    expect(nextDeadline(s)).toBeUndefined(); // no timer while frozen: no auto-block, no approval
    applyStop(s, { state: "clear", epoch: 5 }, T0 + 300 * MIN);
    expect(toView(s)).toMatchObject({ status: "pending", killswitchEpoch: 5 });
    expect(nextDeadline(s)).toBe(T0 + 320 * MIN);
  });

  it("voids an approval granted before the stop", () => {
    const s = approved();
    applyStop(s, { state: "stopped", epoch: 4 }, T0 + 5 * MIN);
    expect(toView(s)).toMatchObject({ status: "expired" });
    expect(toView(s).reason).toContain("emergency stop");
    expect(checkConsume(s, consume(), T0 + 6 * MIN)?.refusal).toBe("expired");
  });

  it("voids an unconsumed approval when a clear shows a newer epoch (a stop came and went)", () => {
    const s = approved();
    applyStop(s, { state: "clear", epoch: 3 }, T0 + 5 * MIN);
    expect(toView(s).status).toBe("approved");
    applyStop(s, { state: "clear", epoch: 4 }, T0 + 5 * MIN);
    expect(toView(s).status).toBe("expired");
  });

  it("changes nothing once consumed", () => {
    const s = approved();
    applyConsume(s, T0 + 2 * MIN);
    expect(applyStop(s, { state: "stopped", epoch: 9 }, T0 + 3 * MIN)).toEqual([]);
    expect(toView(s)).toMatchObject({ status: "approved", consumed: true });
  });
});

describe("consume", () => {
  it("succeeds once, only while approved and bound to digest, bundle and epoch", () => {
    const pending = fresh();
    expect(checkConsume(pending, consume(), T0)?.refusal).toBe("not_approved");
    const s = approved();
    expect(checkConsume(s, consume({ agentId: "other-bot" }), T0)?.refusal).toBe("wrong_agent");
    expect(checkConsume(s, consume({ requestDigest: "sha256:x" }), T0)?.refusal).toBe("digest_mismatch");
    expect(checkConsume(s, consume({ bundleDigest: "sha256:x" }), T0)?.refusal).toBe("bundle_changed");
    expect(checkConsume(s, consume({ killswitchEpoch: 4 }), T0)).toEqual({
      refusal: "epoch_changed",
      message: "killswitchEpoch is 4, but the approval holds for epoch 3",
    });
    expect(checkConsume(s, consume(), T0 + 2 * MIN)).toBeUndefined();
    applyConsume(s, T0 + 2 * MIN);
    expect(checkConsume(s, consume(), T0 + 3 * MIN)?.refusal).toBe("already_consumed");
  });

  it("refuses while frozen", () => {
    const s = fresh();
    applyStop(s, { state: "stopped", epoch: 4 }, T0);
    expect(checkConsume(s, consume(), T0)?.refusal).toBe("frozen");
  });
});
