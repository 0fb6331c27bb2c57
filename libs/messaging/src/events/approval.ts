// Data schemas for warden.approval.v1 messages (proto/warden/approval/v1), published by the approval
// service's activities (requested, vote_cast, escalated, resolved, the verdict) and by its
// transports (refused), plus the consume RPC an agent calls before it acts. Proto JSON mapping, as
// in common.ts: zero values are omitted, so fields without presence default (`unset`).
import { z } from "zod";
import { ActionRequestData, ActorData, RiskLevel, Timestamp, UInt64, unset } from "./common.ts";
import { ApprovalRequirement, MatchedRule } from "./policy.ts";

export const ApprovalStatus = z.enum([
  "APPROVAL_STATUS_PENDING",
  "APPROVAL_STATUS_FROZEN",
  "APPROVAL_STATUS_APPROVED",
  "APPROVAL_STATUS_REJECTED",
  "APPROVAL_STATUS_CHANGES_REQUESTED",
  "APPROVAL_STATUS_BLOCKED",
  "APPROVAL_STATUS_EXPIRED",
]);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const VoteDecision = z.enum([
  "VOTE_DECISION_APPROVE",
  "VOTE_DECISION_REJECT",
  "VOTE_DECISION_REQUEST_CHANGES",
  "VOTE_DECISION_ESCALATE",
  "VOTE_DECISION_DELEGATE",
  "VOTE_DECISION_BREAK_GLASS",
]);
export const Verdict = z.enum(["VERDICT_PROCEED", "VERDICT_ABORT"]);

const id = z.string().min(1).max(128);

/** warden.approval.v1.Vote */
export const VoteData = z.strictObject({
  voter: ActorData.optional(),
  decision: unset(VoteDecision, "VOTE_DECISION_UNSPECIFIED"),
  comment: z.string().max(4096).optional(),
  delegateTo: z.string().max(128).optional(),
  castAt: Timestamp.optional(),
  counted: z.boolean().optional(),
});

/** warden.approval.v1.Approval */
export const ApprovalData = z.strictObject({
  actionId: unset(id, ""),
  workflowId: z.string().optional(),
  status: unset(ApprovalStatus, "APPROVAL_STATUS_UNSPECIFIED"),
  request: ActionRequestData.optional(),
  requirement: ApprovalRequirement.optional(),
  riskLevel: RiskLevel.optional(),
  matchedRules: z.array(MatchedRule).optional(),
  requestDigest: z.string().optional(),
  bundleDigest: z.string().optional(),
  killswitchEpoch: UInt64.optional(),
  votes: z.array(VoteData).optional(),
  recommendations: z.array(VoteData).optional(),
  escalationLevel: z.number().int().nonnegative().optional(),
  currentRoles: z.array(z.string()).optional(),
  createdAt: Timestamp.optional(),
  levelDeadline: Timestamp.optional(),
  resolvedAt: Timestamp.optional(),
  consumed: z.boolean().optional(),
  votesNeeded: z.number().int().nonnegative().optional(),
  missingRoles: z.array(z.string()).optional(),
  secondsToEscalation: z.number().int().nonnegative().optional(),
  breakGlass: z.boolean().optional(),
});

export const ApprovalRequestedData = z.strictObject({
  approval: ApprovalData.optional(),
  notifiedChannels: z.array(z.string()).optional(),
});

export const VoteCastData = z.strictObject({
  actionId: unset(id, ""),
  vote: VoteData.optional(),
  approvals: z.number().int().nonnegative().optional(),
  required: z.number().int().nonnegative().optional(),
  missingRoles: z.array(z.string()).optional(),
});

export const ApprovalResolvedData = z.strictObject({
  actionId: unset(id, ""),
  status: unset(ApprovalStatus, "APPROVAL_STATUS_UNSPECIFIED"),
  votes: z.array(VoteData).optional(),
  reason: z.string().optional(),
  requestDigest: z.string().optional(),
  bundleDigest: z.string().optional(),
  killswitchEpoch: UInt64.optional(),
  resolvedAt: Timestamp.optional(),
});

export const EscalatedData = z.strictObject({
  actionId: unset(id, ""),
  level: z.number().int().nonnegative().optional(),
  roles: z.array(z.string()).optional(),
  reason: z.string().optional(),
  escalatedBy: ActorData.optional(),
  escalatedAt: Timestamp.optional(),
  levelDeadline: Timestamp.optional(),
});

export const ActionVerdictData = z.strictObject({
  actionId: unset(id, ""),
  agentId: unset(id, ""),
  verdict: unset(Verdict, "VERDICT_UNSPECIFIED"),
  status: unset(ApprovalStatus, "APPROVAL_STATUS_UNSPECIFIED"),
  reason: z.string().optional(),
  requestDigest: z.string().optional(),
  bundleDigest: z.string().optional(),
  killswitchEpoch: UInt64.optional(),
  decidedAt: Timestamp.optional(),
});
export type ActionVerdictData = z.infer<typeof ActionVerdictData>;

/** warden.approval.v1.ConsumeRequest, the body of wardenrpc.approval.consume.<agent>. */
export const ConsumeRequestData = z.strictObject({
  actionId: unset(z.string().min(1).max(128), ""),
  requestDigest: unset(z.string().min(1).max(256), ""),
  /** Optional; when set the approval service refuses it unless it is the subject's agent. */
  agentId: z.string().max(128).optional(),
});
export type ConsumeRequestData = z.infer<typeof ConsumeRequestData>;

export const CONSUME_REFUSALS = [
  "not_found",
  "not_approved",
  "already_consumed",
  "digest_mismatch",
  "bundle_changed",
  "epoch_changed",
  "frozen",
  "expired",
  "wrong_agent",
  "identity_mismatch",
] as const;

/**
 * warden.approval.v1.ConsumeResponse. `approval` (the whole Approval) is checked by the proto3 JSON
 * mapping only; an agent reads `consumed` and `refusal`.
 */
export const ConsumeResponseData = z.strictObject({
  consumed: z.boolean().optional(),
  refusal: z.string().max(128).optional(),
  message: z.string().max(4096).optional(),
  approval: z.record(z.string(), z.unknown()).optional(),
});
export type ConsumeResponseData = z.infer<typeof ConsumeResponseData>;

/** warden.approval.v1.VerdictRequest, the body of wardenrpc.approval.verdict.<agent>. */
export const VerdictRequestData = z.strictObject({
  actionId: unset(z.string().min(1).max(128), ""),
  /** Optional; when set the approval service refuses it unless it is the subject's agent. */
  agentId: z.string().max(128).optional(),
});
export type VerdictRequestData = z.infer<typeof VerdictRequestData>;

export const VERDICT_STATES = ["decided", "pending", "not_found"] as const;

/** warden.approval.v1.VerdictResponse: the verdict of the agent's own action, or why there is none. */
export const VerdictResponseData = z.strictObject({
  state: z.enum(VERDICT_STATES),
  verdict: ActionVerdictData.optional(),
  message: z.string().max(4096).optional(),
});
export type VerdictResponseData = z.infer<typeof VerdictResponseData>;

export const ApprovalRefusedData = z.strictObject({
  actionId: unset(id, ""),
  agentId: z.string().max(128).optional(),
  attempt: unset(z.enum(["vote", "consume", "verdict"]), ""),
  actor: ActorData.optional(),
  code: unset(z.string().min(1).max(64), ""),
  message: unset(z.string().max(4096), ""),
  decision: VoteDecision.optional(),
  refusedAt: Timestamp.optional(),
});
export type ApprovalRefusedData = z.infer<typeof ApprovalRefusedData>;
