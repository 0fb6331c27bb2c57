// A policy decision (warden.policy.v1.Decision, proto3 JSON as validated by DecisionData) → the
// workflow's ApprovalInput. Everything the workflow needs is copied from the decision the bundle
// made (its approval requirement, digests, epoch, request), so a later bundle change alters nothing.
// A decision that cannot become an approval throws InvalidMessageError naming the field: the
// consumer terminates it and reports it as warden.invalid.schema (or .identity).
import type { DecisionData, FieldIssue } from "@warden/messaging";
import { InvalidMessageError } from "@warden/messaging";
import type { ActorTypeName, ApprovalInput } from "../workflows/contract.ts";

export interface ApprovalPolicy {
  breakGlassRoles: string[];
  breakGlassValiditySeconds: number;
  approvalValiditySeconds: number;
}

const ACTOR_TYPES: Record<string, ActorTypeName> = {
  ACTOR_TYPE_HUMAN: "human",
  ACTOR_TYPE_AI_AGENT: "ai_agent",
  ACTOR_TYPE_SERVICE: "service",
};

/** RISK_LEVEL_HIGH → high; ENVIRONMENT_PRODUCTION → production; absent → "unspecified". */
export function enumName(value: string | undefined, prefix: string): string {
  if (value === undefined || value === "") return "unspecified";
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase() : value.toLowerCase();
}

export function approvalInputFromDecision(
  decision: DecisionData,
  subjectAgent: string,
  policy: ApprovalPolicy,
  now: Date = new Date(),
): ApprovalInput {
  const issues: FieldIssue[] = [];
  if (decision.outcome !== "OUTCOME_APPROVAL_REQUIRED") {
    issues.push({ field: "outcome", reason: `is ${decision.outcome}, not OUTCOME_APPROVAL_REQUIRED` });
  }
  if (decision.dryRun === true) issues.push({ field: "dryRun", reason: "a dry run is never an approval" });
  const approval = decision.approval;
  if (approval === undefined)
    issues.push({ field: "approval", reason: "required: the approval requirement" });
  else {
    if (approval.workflow === "") issues.push({ field: "approval.workflow", reason: "required" });
    if (approval.minApprovers < 1)
      issues.push({ field: "approval.minApprovers", reason: "must be at least 1" });
  }
  if (decision.requestDigest === undefined || decision.requestDigest === "") {
    issues.push({ field: "requestDigest", reason: "required: an approval is bound to the request digest" });
  }
  if (decision.bundleDigest === "") {
    issues.push({ field: "bundleDigest", reason: "required: an approval is bound to the bundle digest" });
  }
  if (decision.request === undefined)
    issues.push({ field: "request", reason: "required: the request to approve" });
  if (decision.request !== undefined && decision.request.actionId !== decision.actionId) {
    issues.push({ field: "request.actionId", reason: `differs from actionId ${decision.actionId}` });
  }
  if (issues.length > 0) throw new InvalidMessageError("schema", issues);
  if (decision.agentId !== subjectAgent) {
    throw new InvalidMessageError("identity", [
      { field: "agentId", reason: `is ${decision.agentId}, but the subject names agent ${subjectAgent}` },
    ]);
  }
  const req = approval as NonNullable<DecisionData["approval"]>;
  const request = decision.request as NonNullable<DecisionData["request"]>;
  const requester = request.requestedBy;
  const requesterType = requester === undefined ? undefined : ACTOR_TYPES[requester.type];
  return {
    actionId: decision.actionId,
    agentId: decision.agentId,
    requestedBy:
      requester !== undefined && requesterType !== undefined && requester.id !== ""
        ? { type: requesterType, id: requester.id }
        : undefined,
    requestDigest: decision.requestDigest as string,
    bundleDigest: decision.bundleDigest,
    killswitchEpoch: decision.killswitchEpoch ?? 0,
    risk: enumName(decision.riskLevel, "RISK_LEVEL_"),
    environment: enumName(request.environment, "ENVIRONMENT_"),
    definition: {
      workflow: req.workflow,
      minApprovers: req.minApprovers,
      eligibleRoles: req.eligibleRoles ?? [],
      requiredRoles: req.requiredRoles ?? [],
      timeoutSeconds: req.timeoutSeconds ?? 0,
      escalation: (req.escalationChain ?? []).map((l) => ({
        roles: l.roles,
        timeoutSeconds: l.timeoutSeconds,
      })),
      aiMayRecommend: req.aiMayRecommend ?? false,
      notify: req.notificationChannels ?? [],
    },
    decision: decision,
    breakGlassRoles: policy.breakGlassRoles,
    breakGlassValiditySeconds: policy.breakGlassValiditySeconds,
    approvalValiditySeconds: policy.approvalValiditySeconds,
    createdAt: now.toISOString(),
  };
}
