// Vote refusals: stable codes (the update validator's ApplicationFailure type, the refusal event's
// code, the gRPC error detail) and messages naming the field and the reason. Consume refusals are
// the contract's ConsumeRefusal (returned in ConsumeResult, not thrown).

/** Every code a vote may be refused with; stable (transports and audit key on them). */
export const VOTE_REFUSAL_CODES = [
  /** The vote is malformed: unknown decision, empty voter id. */
  "invalid_vote",
  /** The approval is already resolved (approved, rejected, changes requested, blocked, expired). */
  "resolved",
  /** An emergency stop covers the approval. */
  "frozen",
  /** The vote names another request digest than the one the approval is bound to. */
  "digest_mismatch",
  /** The voter is the requesting agent or the human who launched it. */
  "self_approval",
  /** An AI agent may never approve, escalate, delegate or break glass; it may only recommend where allowed. */
  "ai_cannot_approve",
  /** One vote (or recommendation) per person. */
  "already_voted",
  /** The voter holds no role of the current level and is no delegate; or is not a human; or break-glass without the role. */
  "not_eligible",
  /** Reject, request changes and break-glass need a comment. */
  "reason_required",
  /** Delegation without a target, or to the requester, to oneself, or to someone who already voted. */
  "invalid_delegate",
  /** Escalate at the last level. */
  "no_next_level",
] as const;

export type VoteRefusalCode = (typeof VOTE_REFUSAL_CODES)[number];

export interface VoteRefusal {
  readonly code: VoteRefusalCode;
  /** The input field the refusal is about, e.g. `voter.id`, `comment`, `delegateTo`. */
  readonly field: string;
  /** `<field> <reason>`, for people. */
  readonly message: string;
}

export function voteRefusal(code: VoteRefusalCode, field: string, reason: string): VoteRefusal {
  return { code, field, message: `${field} ${reason}` };
}
