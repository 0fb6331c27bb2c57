// What an approver is told about an action waiting for them (chat message, confirmation page).
import type { LinkDecision, RiskName } from "./link-token.ts";

export interface NoticeLink {
  /** The person the links are for. */
  approver: string;
  approveUrl: string;
  rejectUrl: string;
}

export interface ApprovalNotice {
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

/** A vote refused by the workflow (its update validator): `reason` names the refusal. */
export class VoteRefusedError extends Error {
  readonly reason: string;
  /** True when the refusal is about who votes (self-approval, role, AI), false when about state. */
  readonly forbidden: boolean;
  constructor(reason: string, message: string, forbidden = false) {
    super(message);
    this.name = "VoteRefusedError";
    this.reason = reason;
    this.forbidden = forbidden;
  }
}
