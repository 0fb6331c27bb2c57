// The approval's plain data types: the workflow input, votes, the view, consume and stop inputs.
// Plain data only (they cross Temporal's JSON payload converter): no classes, no Date (ISO strings),
// no bigint (epochs as numbers). Re-exported unchanged by src/workflows/contract.ts, the contract
// between the workflow, its starter and its transports; here so the pure rules in domain/ can use them.

export type ApprovalStatusName =
  "pending" | "frozen" | "approved" | "rejected" | "changes_requested" | "blocked" | "expired";

export type ActorTypeName = "human" | "ai_agent" | "service" | "pipeline";

/** Who acts, from a verified credential (never a payload field). */
export interface ApprovalActor {
  type: ActorTypeName;
  id: string;
  roles: string[];
}

export interface EscalationStep {
  roles: string[];
  timeoutSeconds: number;
}

/** What the bundle requires, copied into the input so a later bundle change alters nothing. */
export interface ApprovalDefinition {
  workflow: string;
  minApprovers: number;
  eligibleRoles: string[];
  requiredRoles: string[];
  timeoutSeconds: number;
  escalation: EscalationStep[];
  aiMayRecommend: boolean;
  notify: string[];
}

export interface ApprovalInput {
  actionId: string;
  agentId: string;
  /** The human who launched the agent (can never approve), when known. */
  requestedBy?: { type: ActorTypeName; id: string } | undefined;
  requestDigest: string;
  bundleDigest: string;
  killswitchEpoch: number;
  risk: string;
  environment: string;
  definition: ApprovalDefinition;
  /** The decision as received (proto3 JSON of warden.policy.v1.Decision), for display and events. */
  decision: Record<string, unknown>;
  /** Roles that may approve alone (break-glass), with a mandatory reason. */
  breakGlassRoles: string[];
  /** How long a break-glass approval stays usable. */
  breakGlassValiditySeconds: number;
  /** How long an ordinary approval stays usable after it was granted. */
  approvalValiditySeconds: number;
  createdAt: string;
}

export type VoteDecisionName =
  "approve" | "reject" | "request_changes" | "escalate" | "delegate" | "break_glass";

export interface VoteInput {
  voter: ApprovalActor;
  decision: VoteDecisionName;
  comment?: string | undefined;
  delegateTo?: string | undefined;
  /** Refuse unless the approval is still bound to this digest. */
  requestDigest?: string | undefined;
}

export interface VoteView {
  voter: { type: ActorTypeName; id: string };
  decision: VoteDecisionName;
  comment?: string | undefined;
  delegateTo?: string | undefined;
  castAt: string;
  counted: boolean;
}

export interface ApprovalView {
  actionId: string;
  agentId: string;
  status: ApprovalStatusName;
  requestDigest: string;
  bundleDigest: string;
  killswitchEpoch: number;
  votes: VoteView[];
  recommendations: VoteView[];
  escalationLevel: number;
  currentRoles: string[];
  /** Delegates named at this level (may vote without an eligible role of their own). */
  delegates: string[];
  createdAt: string;
  levelDeadline?: string | undefined;
  resolvedAt?: string | undefined;
  reason?: string | undefined;
  consumed: boolean;
  breakGlass: boolean;
  /** Added (optional, backward compatible): the definition's id, risk and environment of the input. */
  workflow?: string | undefined;
  risk?: string | undefined;
  environment?: string | undefined;
  /** Added: until when an approved approval may be consumed (ISO). */
  validUntil?: string | undefined;
  /** Added: when it was consumed (ISO). */
  consumedAt?: string | undefined;
  /** Added: while frozen, the time left at the current level when the stop came (ms). */
  frozenRemainingMs?: number | undefined;
  /** Counted approvals so far, how many are needed, and required roles not yet covered. */
  approvals: number;
  required: number;
  missingRoles: string[];
}

export interface ConsumeInput {
  agentId: string;
  requestDigest: string;
  /** The bundle digest and kill-switch epoch in force now, as the consumer sees them. */
  bundleDigest: string;
  killswitchEpoch: number;
}

export type ConsumeRefusal =
  | "not_found"
  | "not_approved"
  | "already_consumed"
  | "digest_mismatch"
  | "bundle_changed"
  | "epoch_changed"
  | "frozen"
  | "expired"
  | "wrong_agent";

export interface ConsumeResult {
  consumed: boolean;
  refusal?: ConsumeRefusal | undefined;
  message: string;
  approval: ApprovalView;
}

/** The stop state covering this approval, as the stop-state watcher sees it. */
export interface StopSignal {
  /** "stopped" covers the approval (active or unknown = stopped); "clear" lifts it. */
  state: "stopped" | "clear";
  epoch: number;
  reason?: string | undefined;
}
