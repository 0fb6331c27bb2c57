// Data schemas for warden.policy.v1 events (proto JSON mapping; see common.ts).
import { z } from "zod";
import { ActionRequestData, ActorData, Int64, RiskLevel, Timestamp, UInt64 } from "./common.ts";

export const Outcome = z.enum(["OUTCOME_ALLOW", "OUTCOME_DENY", "OUTCOME_APPROVAL_REQUIRED"]);
export const Effect = z.enum(["EFFECT_ALLOW", "EFFECT_DENY", "EFFECT_APPROVAL_REQUIRED"]);
export const AiAutonomy = z.enum([
  "AI_AUTONOMY_AUTO_EXECUTE",
  "AI_AUTONOMY_RECOMMEND",
  "AI_AUTONOMY_ANALYZE",
  "AI_AUTONOMY_HUMAN_ONLY",
]);

export const MatchedRule = z.strictObject({
  ruleId: z.string().min(1),
  effect: Effect,
  reason: z.string(),
  shadow: z.boolean().optional(),
});

export const EscalationLevel = z.strictObject({
  roles: z.array(z.string()),
  timeoutSeconds: z.number().int().nonnegative(),
});

export const ApprovalRequirement = z.strictObject({
  workflow: z.string().min(1),
  minApprovers: z.number().int().nonnegative(),
  eligibleRoles: z.array(z.string()).optional(),
  requiredRoles: z.array(z.string()).optional(),
  timeoutSeconds: z.number().int().nonnegative().optional(),
  escalationChain: z.array(EscalationLevel).optional(),
  aiMayRecommend: z.boolean().optional(),
  notificationChannels: z.array(z.string()).optional(),
});

/** warden.policy.v1.Decision, published as warden.decision.<outcome>.<agent>. */
export const DecisionData = z.strictObject({
  actionId: z.string().min(1),
  agentId: z.string().min(1),
  outcome: Outcome,
  matchedRules: z.array(MatchedRule).optional(),
  reasons: z.array(z.string()).optional(),
  approval: ApprovalRequirement.optional(),
  bundleDigest: z.string(),
  evaluatedAt: Timestamp,
  evalDurationNs: Int64.optional(),
  riskLevel: RiskLevel.optional(),
  aiAutonomy: AiAutonomy.optional(),
  requestDigest: z.string().optional(),
  killswitchEpoch: UInt64.optional(),
  emergencyStop: z.boolean().optional(),
  request: ActionRequestData.optional(),
  /** Someone other than the agent asked: audited, never counted, never an approval (ADR 0009). */
  dryRun: z.boolean().optional(),
  dryRunBy: ActorData.optional(),
});
export type DecisionData = z.infer<typeof DecisionData>;

export const BundleError = z.strictObject({
  file: z.string(),
  line: z.number().int().nonnegative().optional(),
  field: z.string().optional(),
  reason: z.string(),
});

export const BundleActivatedData = z.strictObject({
  digest: z.string(),
  previousDigest: z.string().optional(),
  source: z.string(),
  ruleCount: z.number().int().nonnegative(),
  activatedAt: Timestamp,
  instanceId: z.string().optional(),
});

export const BundleRejectedData = z.strictObject({
  digest: z.string().optional(),
  activeDigest: z.string().optional(),
  source: z.string(),
  errors: z.array(BundleError),
  rejectedAt: Timestamp,
  instanceId: z.string().optional(),
});
