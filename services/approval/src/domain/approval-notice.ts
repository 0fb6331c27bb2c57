// What an approver is told about an action waiting for them (chat message, confirmation page).
import type { LinkDecision, RiskName } from "./link-token.ts";

export interface NoticeLink {
  /** The person the links are for. */
  approver: string;
  approveUrl: string;
  rejectUrl: string;
}

/** Why approvers are told: asked now (with links), or informed of a change (no links). */
export type NoticeKind = "requested" | "escalated" | "resolved" | "break_glass" | "frozen" | "released";

export interface ApprovalNotice {
  /** Default "requested". Only requested / escalated notices of a pending approval carry links. */
  kind?: NoticeKind | undefined;
  /** The approval's status when the notice was built (e.g. approved, blocked), when known. */
  status?: string | undefined;
  /** Why it resolved (the approval's reason), for resolved / break-glass notices. */
  reason?: string | undefined;
  actionId: string;
  agentId: string;
  /** Who asks: the agent and, when known, the human who launched it. */
  requestedBy: string;
  /** The action as the request names it (e.g. "deploy payments-api to production"). */
  action: string;
  risk: RiskName;
  environment: string;
  changeSummary: string;
  /** Ids of the policy rules that made approval necessary, with their reasons. */
  matchedRules: { ruleId: string; reason: string }[];
  /** An AI agent's recommendation (shown, never counted). */
  aiRecommendation?: { decision: string; rationale: string } | undefined;
  /** Counted approvals still needed, and required roles not yet covered. */
  votesNeeded: number;
  missingRoles: string[];
  /** When the current level times out (ISO), if known. */
  deadline?: string | undefined;
  links: NoticeLink[];
}

/** Why a link was refused (the refusal event's reason). */
export type LinkRefusalReason =
  | "expired"
  | "tampered"
  | "malformed"
  | "reused"
  | "wrong_approver"
  | "unauthenticated"
  | "forbidden_origin"
  | "invalid_input"
  | "vote_refused";

export interface LinkRefusal {
  reason: LinkRefusalReason;
  message: string;
  /** What the link claimed, when it could be read (a tampered link's claims are not trusted). */
  actionId?: string | undefined;
  linkId?: string | undefined;
  approver?: string | undefined;
  decision?: LinkDecision | undefined;
  /** The verified caller, when a bearer token was given. */
  caller?: string | undefined;
}
