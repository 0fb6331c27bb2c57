// Data schemas for warden.policy.v1 events (proto JSON mapping; see common.ts).
import { z } from "zod";
import { ActionRequestData, ActorData, Int64, RiskLevel, Timestamp, UInt64, unset } from "./common.ts";

export const Outcome = z.enum(["OUTCOME_ALLOW", "OUTCOME_DENY", "OUTCOME_APPROVAL_REQUIRED"]);
export const Effect = z.enum(["EFFECT_ALLOW", "EFFECT_DENY", "EFFECT_APPROVAL_REQUIRED"]);
export const AiAutonomy = z.enum([
  "AI_AUTONOMY_AUTO_EXECUTE",
  "AI_AUTONOMY_RECOMMEND",
  "AI_AUTONOMY_ANALYZE",
  "AI_AUTONOMY_HUMAN_ONLY",
]);

export const MatchedRule = z.strictObject({
  ruleId: unset(z.string().min(1), ""),
  effect: unset(Effect, "EFFECT_UNSPECIFIED"),
  reason: unset(z.string(), ""),
  shadow: z.boolean().optional(),
});

export const EscalationLevel = z.strictObject({
  roles: unset(z.array(z.string()), []),
  timeoutSeconds: unset(z.number().int().nonnegative(), 0),
});

export const ApprovalRequirement = z.strictObject({
  workflow: unset(z.string().min(1), ""),
  minApprovers: unset(z.number().int().nonnegative(), 0),
  eligibleRoles: z.array(z.string()).optional(),
  requiredRoles: z.array(z.string()).optional(),
  timeoutSeconds: z.number().int().nonnegative().optional(),
  escalationChain: z.array(EscalationLevel).optional(),
  aiMayRecommend: z.boolean().optional(),
  notificationChannels: z.array(z.string()).optional(),
});

/** warden.policy.v1.Decision, published as warden.decision.<outcome>.<agent>. */
export const DecisionData = z.strictObject({
  actionId: unset(z.string().min(1), ""),
  agentId: unset(z.string().min(1), ""),
  outcome: unset(Outcome, "OUTCOME_UNSPECIFIED"),
  matchedRules: z.array(MatchedRule).optional(),
  reasons: z.array(z.string()).optional(),
  approval: ApprovalRequirement.optional(),
  bundleDigest: unset(z.string(), ""),
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
  file: unset(z.string(), ""),
  line: z.number().int().nonnegative().optional(),
  field: z.string().optional(),
  reason: unset(z.string(), ""),
});

export const BundleActivatedData = z.strictObject({
  digest: unset(z.string(), ""),
  previousDigest: z.string().optional(),
  source: unset(z.string(), ""),
  ruleCount: unset(z.number().int().nonnegative(), 0),
  activatedAt: Timestamp,
  instanceId: z.string().optional(),
});

export const BundleRejectedData = z.strictObject({
  digest: z.string().optional(),
  activeDigest: z.string().optional(),
  source: unset(z.string(), ""),
  errors: unset(z.array(BundleError), []),
  rejectedAt: Timestamp,
  instanceId: z.string().optional(),
});
