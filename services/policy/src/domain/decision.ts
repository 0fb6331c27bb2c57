/** The three outcomes, in increasing order of precedence: deny beats approval_required beats allow. */
export type Outcome = "allow" | "deny" | "approval_required";

/** What a rule asks for when it matches. */
export type Effect = Outcome;

/** What an AI agent may do for a change (decision matrix column "AI agent role"). */
export type AiRole = "auto_deploy" | "recommend" | "analyze" | "human_only";

export interface MatchedRule {
  readonly ruleId: string;
  readonly effect: Effect;
  /** Human-readable. */
  readonly reason: string;
  /** Shadow rules are reported, never enforced. */
  readonly shadow: boolean;
}

export interface EscalationStep {
  readonly role: string;
  /** Seconds after the request at which this level is engaged. */
  readonly afterSeconds: number;
}

/** What the approval service needs to run the approval for an `approval_required` decision. */
export interface ApprovalRequirement {
  /** Workflow definition id from the bundle's workflows.yaml. */
  readonly workflow: string;
  /** Distinct human approvals needed. */
  readonly minApprovers: number;
  /** Each of these roles must be held by at least one of the approvers. */
  readonly requiredRoles: readonly string[];
  /** Only holders of one of these roles may vote. */
  readonly eligibleRoles: readonly string[];
  /** How long each escalation level waits; after the last level the action is blocked. */
  readonly timeoutSeconds: number;
  readonly escalation: readonly EscalationStep[];
  /** The AI agent's role for this change (from the decision matrix), when one applies. */
  readonly aiRole?: AiRole;
  /** AI may add a recommendation shown to humans (never counted as a vote). */
  readonly aiMayRecommend: boolean;
  /** Always false: AI never approves. */
  readonly aiMayApprove: false;
  /** Notification channels, e.g. `slack:#deploy-approvals`. */
  readonly notify: readonly string[];
}

export interface Decision {
  readonly actionId: string;
  /** The authenticated agent the decision is about. */
  readonly agentId: string;
  readonly outcome: Outcome;
  readonly riskLevel: string;
  /** Every rule that matched, enforced and shadow, in bundle order. */
  readonly matched: readonly MatchedRule[];
  /** Reasons of the enforced rules that determined the outcome. */
  readonly reasons: readonly string[];
  readonly approval?: ApprovalRequirement;
  /** `sha256:<hex>` of the bundle that decided. */
  readonly bundleDigest: string;
  /** ISO 8601. */
  readonly evaluatedAt: string;
  readonly evalDurationNs: number;
}
