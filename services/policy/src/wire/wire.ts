// Mapping between the wire (proto JSON of warden.common.v1.ActionRequest / warden.policy.v1.Decision,
// validated by @warden/messaging's schemas) and the policy domain's own types. Nothing else in the
// service knows the wire format.
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { ACTOR_TYPE_TO_WIRE } from "@warden/messaging";
import type { ActionRequestData, DecisionData } from "@warden/messaging";
import type { ActionRequest } from "../domain/action-request.ts";
import type { AiRole, Decision, Effect, Outcome } from "../domain/decision.ts";
import type { StopState } from "../domain/stop-state.ts";

/** "ENVIRONMENT_PRODUCTION" → "production": the bundle speaks in the enum's lower-case suffix. */
function suffix(value: string | undefined, prefix: string): string | undefined {
  return value === undefined ? undefined : value.slice(prefix.length).toLowerCase();
}

/** google.type.Money-style units + nanos → a number of currency units. */
export function amountFromWire(money: NonNullable<ActionRequestData["amount"]>): number {
  return money.units + (money.nanos ?? 0) / 1_000_000_000;
}

export function actionRequestFromWire(data: ActionRequestData): ActionRequest {
  const amount = data.amount === undefined ? undefined : amountFromWire(data.amount);
  return {
    actionId: data.actionId,
    agentId: data.agentId,
    action: data.action,
    ...(data.tool !== undefined && { tool: data.tool }),
    ...(data.changeType !== undefined && { changeType: suffix(data.changeType, "CHANGE_TYPE_") }),
    ...(data.environment !== undefined && { environment: suffix(data.environment, "ENVIRONMENT_") }),
    ...(data.versionChange !== undefined && { versionChange: suffix(data.versionChange, "VERSION_CHANGE_") }),
    ...(data.target !== undefined && { target: data.target }),
    ...(data.service !== undefined && { service: data.service }),
    ...(amount !== undefined && { amount, currency: data.amount?.currencyCode }),
    ...(data.message !== undefined && {
      message: {
        channel: data.message.channel,
        external: data.message.external ?? false,
        body: data.message.body,
      },
    }),
    ...(data.arguments !== undefined && { arguments: data.arguments }),
    ...(data.requestedBy !== undefined && { requestedBy: data.requestedBy.id }),
    ...(data.ticket !== undefined && { ticket: data.ticket }),
    ...(data.reason !== undefined && { reason: data.reason }),
    ...(data.ai !== undefined && {
      ai: {
        model: data.ai.model ?? "",
        version: data.ai.version ?? "",
        promptDigest: data.ai.promptDigest ?? "",
        rationale: data.ai.rationale ?? "",
        confidence: data.ai.confidence ?? 0,
      },
    }),
    ...(data.requestedAt !== undefined && { time: data.requestedAt }),
  };
}

const OUTCOME = {
  allow: "OUTCOME_ALLOW",
  deny: "OUTCOME_DENY",
  approval_required: "OUTCOME_APPROVAL_REQUIRED",
} as const;
const OUTCOME_FROM_WIRE = {
  OUTCOME_ALLOW: "allow",
  OUTCOME_DENY: "deny",
  OUTCOME_APPROVAL_REQUIRED: "approval_required",
} as const satisfies Record<DecisionData["outcome"], Outcome>;

export function outcomeFromWire(outcome: DecisionData["outcome"]): Outcome {
  return OUTCOME_FROM_WIRE[outcome];
}

const EFFECT = {
  allow: "EFFECT_ALLOW",
  deny: "EFFECT_DENY",
  approval_required: "EFFECT_APPROVAL_REQUIRED",
} as const satisfies Record<Effect, string>;
const AUTONOMY = {
  auto_deploy: "AI_AUTONOMY_AUTO_EXECUTE",
  recommend: "AI_AUTONOMY_RECOMMEND",
  analyze: "AI_AUTONOMY_ANALYZE",
  human_only: "AI_AUTONOMY_HUMAN_ONLY",
} as const satisfies Record<AiRole, string>;
const RISK = {
  low: "RISK_LEVEL_LOW",
  medium: "RISK_LEVEL_MEDIUM",
  high: "RISK_LEVEL_HIGH",
  critical: "RISK_LEVEL_CRITICAL",
} as const;

/** `sha256:<hex>` over the RFC 8785 canonical JSON of the wire request: what an approval binds to. */
export function requestDigest(data: ActionRequestData): string {
  return `sha256:${createHash("sha256")
    .update(canonicalize(data) ?? "")
    .digest("hex")}`;
}

/**
 * The proto's per-level durations from workflows.yaml's `timeout` (each level's wait, the last
 * one's included) and `escalation[i].after` (when level i+1 is engaged, counted from the request):
 * level 0 lasts until the first step's `after`, each step's level until the next step's, the last
 * one `timeout`. (The offsets themselves once went on the wire: a third level waited twice as long.)
 */
function levelDurations(req: NonNullable<Decision["approval"]>) {
  const steps = req.escalation;
  return {
    timeoutSeconds: steps[0]?.afterSeconds ?? req.timeoutSeconds,
    escalationChain: steps.map((step, i) => {
      const next = steps[i + 1];
      return {
        roles: [step.role],
        timeoutSeconds:
          next === undefined ? req.timeoutSeconds : Math.max(1, next.afterSeconds - step.afterSeconds),
      };
    }),
  };
}

export function decisionToWire(
  decision: Decision,
  request: ActionRequestData | undefined,
  stop: StopState,
  stopRuleId: string,
): DecisionData {
  const risk = Object.hasOwn(RISK, decision.riskLevel)
    ? RISK[decision.riskLevel as keyof typeof RISK]
    : undefined;
  return {
    actionId: decision.actionId,
    agentId: decision.agentId,
    outcome: OUTCOME[decision.outcome],
    matchedRules: decision.matched.map((m) => ({
      ruleId: m.ruleId,
      effect: EFFECT[m.effect],
      reason: m.reason,
      shadow: m.shadow,
    })),
    reasons: [...decision.reasons],
    ...(decision.approval !== undefined && {
      approval: {
        workflow: decision.approval.workflow,
        minApprovers: decision.approval.minApprovers,
        eligibleRoles: [...decision.approval.eligibleRoles],
        requiredRoles: [...decision.approval.requiredRoles],
        ...levelDurations(decision.approval),
        aiMayRecommend: decision.approval.aiMayRecommend,
        notificationChannels: [...decision.approval.notify],
      },
    }),
    ...(decision.approval?.aiRole !== undefined && { aiAutonomy: AUTONOMY[decision.approval.aiRole] }),
    bundleDigest: decision.bundleDigest,
    evaluatedAt: decision.evaluatedAt,
    evalDurationNs: decision.evalDurationNs,
    ...(risk !== undefined && { riskLevel: risk }),
    ...(request !== undefined && { requestDigest: requestDigest(request), request }),
    // Clear included: the approval created from this decision is bound to the epoch (issue #15).
    ...(stop.kind !== "unknown" && { killswitchEpoch: stop.epoch }),
    emergencyStop: decision.matched.some((m) => m.ruleId === stopRuleId && !m.shadow),
  };
}

const ACTOR_TYPES = ACTOR_TYPE_TO_WIRE;

/** The dry-run fields of a Decision (ADR 0009): empty unless someone other than the agent asked. */
export function dryRunToWire(
  dryRunBy: { type: keyof typeof ACTOR_TYPES; id: string; roles: readonly string[] } | undefined,
): Pick<DecisionData, "dryRun" | "dryRunBy"> {
  if (dryRunBy === undefined) return {};
  return {
    dryRun: true,
    dryRunBy: { type: ACTOR_TYPES[dryRunBy.type], id: dryRunBy.id, roles: [...dryRunBy.roles] },
  };
}
