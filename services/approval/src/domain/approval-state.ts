// The approval's state and every rule that changes it: votes (eligibility, self-approval, AI,
// one vote per person, reasons, delegation, escalation, break-glass, quorum), level timeouts,
// approval validity, single-use consumption and emergency stops. Pure: no Temporal, no I/O; time is
// passed in (the workflow passes its deterministic Date.now()). The workflow validates with
// `checkVote` (refusal before anything is written) and applies with `applyVote`.
import type {
  ApprovalActor,
  ApprovalDefinition,
  ApprovalInput,
  ApprovalStatusName,
  ApprovalView,
  ConsumeInput,
  ConsumeRefusal,
  StopSignal,
  VoteDecisionName,
  VoteInput,
  VoteView,
} from "./approval-types.ts";
import { tallyApprovals, type Approver, type Tally } from "./quorum.ts";
import { voteRefusal, type VoteRefusal } from "./refusals.ts";

export const VOTE_DECISIONS: readonly VoteDecisionName[] = [
  "approve",
  "reject",
  "request_changes",
  "escalate",
  "delegate",
  "break_glass",
];

/** Decisions an AI agent's vote is stored as, when the definition lets AI recommend. */
const RECOMMENDATIONS: ReadonlySet<VoteDecisionName> = new Set(["approve", "reject", "request_changes"]);
const REASON_REQUIRED: ReadonlySet<VoteDecisionName> = new Set(["reject", "request_changes", "break_glass"]);

export interface Delegation {
  readonly from: string;
  readonly to: string;
  /** The delegator's roles at the level, carried by the delegate's vote. */
  readonly roles: readonly string[];
  readonly level: number;
}

export interface ApprovalState {
  readonly input: ApprovalInput;
  status: ApprovalStatusName;
  level: number;
  votes: VoteView[];
  recommendations: VoteView[];
  approvers: Approver[];
  delegations: Delegation[];
  killswitchEpoch: number;
  /** Epoch ms; while pending. */
  levelDeadline?: number | undefined;
  /** While frozen: what was left of the level's time when the stop came. */
  frozenRemainingMs?: number | undefined;
  /** Epoch ms; while approved and not consumed. */
  validUntil?: number | undefined;
  resolvedAt?: number | undefined;
  consumedAt?: number | undefined;
  reason?: string | undefined;
  consumed: boolean;
  breakGlass: boolean;
}

const FINAL: ReadonlySet<ApprovalStatusName> = new Set([
  "rejected",
  "changes_requested",
  "blocked",
  "expired",
]);

/** Nothing can change any more: resolved negatively, expired, or consumed. */
export function isFinished(state: ApprovalState): boolean {
  return FINAL.has(state.status) || state.consumed;
}

export function lastLevel(definition: ApprovalDefinition): number {
  return definition.escalation.length;
}

/** Level 0: the eligible roles; each escalation step widens the set with its roles. */
export function levelRoles(definition: ApprovalDefinition, level: number): string[] {
  const roles = [...definition.eligibleRoles];
  for (const step of definition.escalation.slice(0, level)) roles.push(...step.roles);
  return [...new Set(roles)];
}

export function levelTimeoutSeconds(definition: ApprovalDefinition, level: number): number {
  return level === 0 ? definition.timeoutSeconds : (definition.escalation[level - 1]?.timeoutSeconds ?? 0);
}

export function createApprovalState(input: ApprovalInput, nowMs: number): ApprovalState {
  return {
    input,
    status: "pending",
    level: 0,
    votes: [],
    recommendations: [],
    approvers: [],
    delegations: [],
    killswitchEpoch: input.killswitchEpoch,
    levelDeadline: nowMs + levelTimeoutSeconds(input.definition, 0) * 1000,
    consumed: false,
    breakGlass: false,
  };
}

export function tally(state: ApprovalState): Tally {
  const { minApprovers, requiredRoles } = state.input.definition;
  return tallyApprovals(state.approvers, minApprovers, requiredRoles);
}

function isRequester(state: ApprovalState, id: string): boolean {
  return id === state.input.agentId || id === state.input.requestedBy?.id;
}

function hasVoted(state: ApprovalState, id: string): boolean {
  return state.votes.some((v) => v.voter.id === id) || state.recommendations.some((v) => v.voter.id === id);
}

function delegatesOf(state: ApprovalState): string[] {
  return [...new Set(state.delegations.map((d) => d.to))];
}

/** The voter's roles that count at the current level (own roles of the level, plus delegated ones). */
function rolesAtLevel(state: ApprovalState, voter: ApprovalActor): string[] {
  const level = new Set(levelRoles(state.input.definition, state.level));
  const own = voter.roles.filter((r) => level.has(r));
  const delegated = state.delegations.filter((d) => d.to === voter.id).flatMap((d) => d.roles);
  return [...new Set([...own, ...delegated])];
}

function isEligible(state: ApprovalState, voter: ApprovalActor): boolean {
  return rolesAtLevel(state, voter).length > 0 || delegatesOf(state).includes(voter.id);
}

/** Why this vote must be refused now, or undefined. Sync and side-effect free (the update validator). */
export function checkVote(state: ApprovalState, vote: VoteInput): VoteRefusal | undefined {
  const voter = vote.voter as ApprovalActor | undefined;
  if (voter === undefined || typeof voter.id !== "string" || voter.id.trim() === "")
    return voteRefusal("invalid_vote", "voter.id", "is required");
  if (!Array.isArray(voter.roles))
    return voteRefusal("invalid_vote", "voter.roles", "must be a list of roles");
  if (!VOTE_DECISIONS.includes(vote.decision))
    return voteRefusal(
      "invalid_vote",
      "decision",
      `must be one of ${VOTE_DECISIONS.join(", ")}, got ${JSON.stringify(vote.decision)}`,
    );
  if (state.status === "frozen")
    return voteRefusal(
      "frozen",
      "approval",
      "is frozen by an emergency stop: no vote is taken until it is lifted",
    );
  if (state.status !== "pending" || state.consumed)
    return voteRefusal("resolved", "approval", `is already resolved (${state.status})`);
  if (vote.requestDigest !== undefined && vote.requestDigest !== state.input.requestDigest)
    return voteRefusal(
      "digest_mismatch",
      "requestDigest",
      `is ${vote.requestDigest}, but the approval is for request ${state.input.requestDigest}`,
    );
  if (isRequester(state, voter.id))
    return voteRefusal(
      "self_approval",
      "voter.id",
      voter.id === state.input.agentId
        ? `${voter.id} is the requesting agent and may not vote on its own action`
        : `${voter.id} launched the requesting agent and may not vote on its action`,
    );
  if (voter.type === "ai_agent") {
    if (!state.input.definition.aiMayRecommend)
      return voteRefusal(
        "ai_cannot_approve",
        "voter.type",
        `is ai_agent: AI may not approve, and workflow ${state.input.definition.workflow} takes no AI recommendation`,
      );
    if (!RECOMMENDATIONS.has(vote.decision))
      return voteRefusal(
        "ai_cannot_approve",
        "decision",
        `${vote.decision} is not open to an AI agent: it may only recommend approve, reject or request_changes`,
      );
    if (hasVoted(state, voter.id))
      return voteRefusal("already_voted", "voter.id", `${voter.id} already recommended`);
    return undefined;
  }
  if (voter.type !== "human")
    return voteRefusal("not_eligible", "voter.type", `is ${String(voter.type)}: only a human may vote`);
  if (hasVoted(state, voter.id)) return voteRefusal("already_voted", "voter.id", `${voter.id} already voted`);
  const reason = vote.comment?.trim() ?? "";
  if (vote.decision === "break_glass") {
    const allowed = state.input.breakGlassRoles;
    if (!voter.roles.some((r) => allowed.includes(r)))
      return voteRefusal(
        "not_eligible",
        "voter.roles",
        `hold none of the break-glass roles (${allowed.join(", ") || "none configured"})`,
      );
    if (reason === "") return voteRefusal("reason_required", "comment", "is required to break glass");
    return undefined;
  }
  if (!isEligible(state, voter))
    return voteRefusal(
      "not_eligible",
      "voter.roles",
      `hold none of the roles of escalation level ${state.level} (${levelRoles(state.input.definition, state.level).join(", ")}) and ${voter.id} is no delegate`,
    );
  if (REASON_REQUIRED.has(vote.decision) && reason === "")
    return voteRefusal("reason_required", "comment", `is required to ${vote.decision.replace("_", " ")}`);
  if (vote.decision === "escalate" && state.level >= lastLevel(state.input.definition))
    return voteRefusal(
      "no_next_level",
      "decision",
      `escalate: level ${state.level} is the last escalation level`,
    );
  if (vote.decision === "delegate") {
    const to = vote.delegateTo?.trim() ?? "";
    if (to === "") return voteRefusal("invalid_delegate", "delegateTo", "is required to delegate");
    if (isRequester(state, to))
      return voteRefusal(
        "invalid_delegate",
        "delegateTo",
        `${to} is the requester (or launched it) and may not vote`,
      );
    if (to === voter.id)
      return voteRefusal("invalid_delegate", "delegateTo", "is the voter: delegate to someone else");
    if (hasVoted(state, to)) return voteRefusal("invalid_delegate", "delegateTo", `${to} already voted`);
  }
  return undefined;
}

/** What a state change means for the outside world; the workflow turns it into events. */
export type Effect =
  | { readonly kind: "vote_cast"; readonly vote: VoteView }
  | { readonly kind: "recommended"; readonly vote: VoteView }
  | {
      readonly kind: "escalated";
      readonly fromLevel: number;
      readonly toLevel: number;
      readonly cause: "timeout" | "vote";
      readonly roles: string[];
    }
  | { readonly kind: "resolved"; readonly status: ApprovalStatusName; readonly breakGlass: boolean }
  | { readonly kind: "frozen" }
  | { readonly kind: "released" }
  | { readonly kind: "consumed" };

function resolve(state: ApprovalState, status: ApprovalStatusName, nowMs: number, reason?: string): Effect {
  state.status = status;
  state.resolvedAt = nowMs;
  state.levelDeadline = undefined;
  state.frozenRemainingMs = undefined;
  if (reason !== undefined) state.reason = reason;
  return { kind: "resolved", status, breakGlass: state.breakGlass };
}

function escalate(state: ApprovalState, nowMs: number, cause: "timeout" | "vote"): Effect {
  const fromLevel = state.level;
  state.level += 1;
  state.levelDeadline = nowMs + levelTimeoutSeconds(state.input.definition, state.level) * 1000;
  const roles = state.input.definition.escalation[state.level - 1]?.roles ?? [];
  return { kind: "escalated", fromLevel, toLevel: state.level, cause, roles: [...roles] };
}

function approve(state: ApprovalState, nowMs: number, validitySeconds: number, reason: string): Effect {
  state.validUntil = nowMs + validitySeconds * 1000;
  return resolve(state, "approved", nowMs, reason);
}

/**
 * Applies a vote `checkVote` accepted; throws if it would refuse (the handler re-checks, so a vote
 * can never be applied against a state that changed after validation).
 */
export function applyVote(state: ApprovalState, vote: VoteInput, nowMs: number): Effect[] {
  const refusal = checkVote(state, vote);
  if (refusal !== undefined) throw new Error(`refused vote applied: ${refusal.code}: ${refusal.message}`);
  const comment = vote.comment?.trim();
  const isAi = vote.voter.type === "ai_agent";
  const counts = !isAi && vote.decision === "approve";
  const view: VoteView = {
    voter: { type: vote.voter.type, id: vote.voter.id },
    decision: vote.decision,
    ...(comment ? { comment } : {}),
    ...(vote.decision === "delegate" ? { delegateTo: vote.delegateTo?.trim() } : {}),
    castAt: new Date(nowMs).toISOString(),
    counted: counts,
  };
  if (isAi) {
    state.recommendations.push(view);
    return [{ kind: "recommended", vote: view }];
  }
  const roles = rolesAtLevel(state, vote.voter);
  state.votes.push(view);
  const effects: Effect[] = [{ kind: "vote_cast", vote: view }];
  switch (vote.decision) {
    case "approve": {
      state.approvers.push({ id: vote.voter.id, roles });
      const t = tally(state);
      if (t.reached)
        effects.push(
          approve(
            state,
            nowMs,
            state.input.approvalValiditySeconds,
            `quorum reached: ${t.approvals} of ${t.required} approvals`,
          ),
        );
      break;
    }
    case "reject":
      effects.push(resolve(state, "rejected", nowMs, `rejected by ${vote.voter.id}: ${comment ?? ""}`));
      break;
    case "request_changes":
      effects.push(
        resolve(state, "changes_requested", nowMs, `changes requested by ${vote.voter.id}: ${comment ?? ""}`),
      );
      break;
    case "escalate":
      effects.push(escalate(state, nowMs, "vote"));
      break;
    case "delegate":
      state.delegations.push({
        from: vote.voter.id,
        to: vote.delegateTo?.trim() ?? "",
        roles,
        level: state.level,
      });
      break;
    case "break_glass":
      state.breakGlass = true;
      effects.push(
        approve(
          state,
          nowMs,
          state.input.breakGlassValiditySeconds,
          `break-glass by ${vote.voter.id}: ${comment ?? ""}`,
        ),
      );
      break;
  }
  return effects;
}

/**
 * The current level's deadline passed (the workflow only calls this while pending): the next level
 * is engaged, or, after the last, the action is blocked. Never approves.
 */
export function levelTimedOut(state: ApprovalState, nowMs: number): Effect[] {
  if (state.status !== "pending") return [];
  if (state.level < lastLevel(state.input.definition)) return [escalate(state, nowMs, "timeout")];
  return [
    resolve(
      state,
      "blocked",
      nowMs,
      `no decision after escalation level ${state.level} timed out: blocked (never approved on a timer)`,
    ),
  ];
}

/** An approved approval was not consumed in time. */
export function validityEnded(state: ApprovalState, nowMs: number): Effect[] {
  if (state.status !== "approved" || state.consumed) return [];
  state.validUntil = undefined;
  return [resolve(state, "expired", nowMs, "approved but not consumed before its validity ended")];
}

/** The next instant a timer must act at: the level deadline while pending, the validity while approved. */
export function nextDeadline(state: ApprovalState): number | undefined {
  if (state.status === "pending") return state.levelDeadline;
  if (state.status === "approved" && !state.consumed) return state.validUntil;
  return undefined;
}

/** Acts on a deadline that passed; no-op if none is due. */
export function deadlinePassed(state: ApprovalState, nowMs: number): Effect[] {
  const due = nextDeadline(state);
  if (due === undefined || nowMs < due) return [];
  return state.status === "pending" ? levelTimedOut(state, nowMs) : validityEnded(state, nowMs);
}

/**
 * An emergency stop covers the approval (`stopped`) or was lifted (`clear`). See
 * docs/adr/0010-approval-deadlines-across-a-stop.md: a pending approval freezes with its
 * level's remaining time carried over; an approval granted before the stop is void (expired); a
 * clear resumes a frozen approval where it was and binds it to the new epoch. A clear with a newer
 * epoch than an unconsumed approval's means a stop came and went since it was granted: void too.
 */
export function applyStop(state: ApprovalState, signal: StopSignal, nowMs: number): Effect[] {
  if (isFinished(state)) return [];
  const why = signal.reason === undefined || signal.reason === "" ? "" : `: ${signal.reason}`;
  if (signal.state === "stopped") {
    if (state.status === "approved") {
      state.validUntil = undefined;
      return [
        resolve(
          state,
          "expired",
          nowMs,
          `void: an emergency stop (epoch ${signal.epoch}) came before use${why}`,
        ),
      ];
    }
    if (state.status === "pending") {
      state.frozenRemainingMs = Math.max(0, (state.levelDeadline ?? nowMs) - nowMs);
      state.levelDeadline = undefined;
      state.status = "frozen";
      state.reason = `frozen by an emergency stop (epoch ${signal.epoch})${why}`;
      return [{ kind: "frozen" }];
    }
    return [];
  }
  // clear
  if (state.status === "frozen") {
    state.status = "pending";
    state.levelDeadline = nowMs + (state.frozenRemainingMs ?? 0);
    state.frozenRemainingMs = undefined;
    state.reason = undefined;
    state.killswitchEpoch = Math.max(state.killswitchEpoch, signal.epoch);
    return [{ kind: "released" }];
  }
  if (signal.epoch > state.killswitchEpoch) {
    if (state.status === "approved") {
      state.validUntil = undefined;
      return [
        resolve(
          state,
          "expired",
          nowMs,
          `void: the kill-switch epoch moved to ${signal.epoch} after it was granted`,
        ),
      ];
    }
    state.killswitchEpoch = signal.epoch;
  }
  return [];
}

export interface ConsumeCheck {
  readonly refusal: ConsumeRefusal;
  readonly message: string;
}

/** Why this consume must be refused, or undefined (single use, only while approved and still bound). */
export function checkConsume(state: ApprovalState, c: ConsumeInput, nowMs: number): ConsumeCheck | undefined {
  const input = state.input;
  if (c.agentId !== input.agentId)
    return {
      refusal: "wrong_agent",
      message: `agentId ${c.agentId} did not request this action (${input.agentId} did)`,
    };
  if (state.status === "frozen")
    return { refusal: "frozen", message: "approval is frozen by an emergency stop: nothing is consumed" };
  if (state.consumed)
    return { refusal: "already_consumed", message: "approval was already consumed (single use)" };
  if (state.status === "expired")
    return { refusal: "expired", message: `approval expired: ${state.reason ?? "validity ended"}` };
  if (state.status !== "approved")
    return { refusal: "not_approved", message: `approval is ${state.status}, not approved` };
  if (state.validUntil !== undefined && nowMs >= state.validUntil)
    return { refusal: "expired", message: "approval expired: its validity ended" };
  if (c.requestDigest !== input.requestDigest)
    return {
      refusal: "digest_mismatch",
      message: `requestDigest is ${c.requestDigest}, but the approval is for ${input.requestDigest}`,
    };
  if (c.bundleDigest !== input.bundleDigest)
    return {
      refusal: "bundle_changed",
      message: `bundleDigest is ${c.bundleDigest}, but the approval was decided under ${input.bundleDigest}`,
    };
  if (c.killswitchEpoch !== state.killswitchEpoch)
    return {
      refusal: "epoch_changed",
      message: `killswitchEpoch is ${c.killswitchEpoch}, but the approval holds for epoch ${state.killswitchEpoch}`,
    };
  return undefined;
}

export function applyConsume(state: ApprovalState, nowMs: number): Effect[] {
  state.consumed = true;
  state.consumedAt = nowMs;
  state.validUntil = undefined;
  return [{ kind: "consumed" }];
}

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

export function toView(state: ApprovalState): ApprovalView {
  const input = state.input;
  const t = tally(state);
  return {
    actionId: input.actionId,
    agentId: input.agentId,
    status: state.status,
    requestDigest: input.requestDigest,
    bundleDigest: input.bundleDigest,
    killswitchEpoch: state.killswitchEpoch,
    votes: state.votes.map((v) => ({ ...v, voter: { ...v.voter } })),
    recommendations: state.recommendations.map((v) => ({ ...v, voter: { ...v.voter } })),
    escalationLevel: state.level,
    currentRoles: levelRoles(input.definition, state.level),
    delegates: delegatesOf(state),
    createdAt: input.createdAt,
    levelDeadline: iso(state.levelDeadline),
    resolvedAt: iso(state.resolvedAt),
    reason: state.reason,
    consumed: state.consumed,
    breakGlass: state.breakGlass,
    workflow: input.definition.workflow,
    risk: input.risk,
    environment: input.environment,
    validUntil: iso(state.validUntil),
    consumedAt: iso(state.consumedAt),
    frozenRemainingMs: state.frozenRemainingMs,
    approvals: t.approvals,
    required: t.required,
    missingRoles: t.missingRoles,
  };
}
