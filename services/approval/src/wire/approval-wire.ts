// Domain (the workflow contract's plain data) ↔ warden.approval.v1 proto JSON.
import type {
  ActorTypeName,
  ApprovalInput,
  ApprovalStatusName,
  ApprovalView,
  VoteDecisionName,
  VoteView,
} from "../workflows/contract.ts";

const STATUS_TO_WIRE: Record<ApprovalStatusName, string> = {
  pending: "APPROVAL_STATUS_PENDING",
  frozen: "APPROVAL_STATUS_FROZEN",
  approved: "APPROVAL_STATUS_APPROVED",
  rejected: "APPROVAL_STATUS_REJECTED",
  changes_requested: "APPROVAL_STATUS_CHANGES_REQUESTED",
  blocked: "APPROVAL_STATUS_BLOCKED",
  expired: "APPROVAL_STATUS_EXPIRED",
};

export const statusToWire = (status: ApprovalStatusName): string => STATUS_TO_WIRE[status];

const DECISION_TO_WIRE: Record<VoteDecisionName, string> = {
  approve: "VOTE_DECISION_APPROVE",
  reject: "VOTE_DECISION_REJECT",
  request_changes: "VOTE_DECISION_REQUEST_CHANGES",
  escalate: "VOTE_DECISION_ESCALATE",
  delegate: "VOTE_DECISION_DELEGATE",
  break_glass: "VOTE_DECISION_BREAK_GLASS",
};

export const decisionToWire = (decision: VoteDecisionName): string => DECISION_TO_WIRE[decision];

const WIRE_TO_DECISION: Record<string, VoteDecisionName> = {
  VOTE_DECISION_APPROVE: "approve",
  VOTE_DECISION_REJECT: "reject",
  VOTE_DECISION_REQUEST_CHANGES: "request_changes",
  VOTE_DECISION_ESCALATE: "escalate",
  VOTE_DECISION_DELEGATE: "delegate",
  VOTE_DECISION_BREAK_GLASS: "break_glass",
};

/** A wire decision name → domain, or undefined (unspecified or unknown). */
export const decisionFromWire = (wire: string): VoteDecisionName | undefined => WIRE_TO_DECISION[wire];

const ACTOR_TO_WIRE: Record<ActorTypeName, string> = {
  human: "ACTOR_TYPE_HUMAN",
  ai_agent: "ACTOR_TYPE_AI_AGENT",
  service: "ACTOR_TYPE_SERVICE",
  pipeline: "ACTOR_TYPE_SERVICE",
};

export const actorTypeToWire = (type: ActorTypeName): string => ACTOR_TO_WIRE[type];

/** "high" → RISK_LEVEL_HIGH; "unspecified" → undefined. */
export const riskToWire = (risk: string): string | undefined =>
  risk === "" || risk === "unspecified" ? undefined : `RISK_LEVEL_${risk.toUpperCase()}`;

export function voteToWire(vote: VoteView): Record<string, unknown> {
  return {
    voter: { type: actorTypeToWire(vote.voter.type), id: vote.voter.id },
    decision: decisionToWire(vote.decision),
    ...(vote.comment !== undefined && { comment: vote.comment }),
    ...(vote.delegateTo !== undefined && { delegateTo: vote.delegateTo }),
    castAt: vote.castAt,
    counted: vote.counted,
  };
}

/** warden.approval.v1.Approval JSON (request, requirement and matched rules when the view has the decision). */
export function approvalToWire(view: ApprovalView, workflowId: string): Record<string, unknown> {
  return {
    actionId: view.actionId,
    workflowId,
    status: statusToWire(view.status),
    requestDigest: view.requestDigest,
    bundleDigest: view.bundleDigest,
    killswitchEpoch: String(view.killswitchEpoch),
    votes: view.votes.map(voteToWire),
    recommendations: view.recommendations.map(voteToWire),
    escalationLevel: view.escalationLevel,
    currentRoles: view.currentRoles,
    createdAt: view.createdAt,
    ...(view.levelDeadline !== undefined && { levelDeadline: view.levelDeadline }),
    ...(view.resolvedAt !== undefined && { resolvedAt: view.resolvedAt }),
    consumed: view.consumed,
    votesNeeded: Math.max(view.required - view.approvals, 0),
    missingRoles: view.missingRoles,
    breakGlass: view.breakGlass,
  };
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/**
 * The Approval for Get: the view, plus from the input the request (change summary fields of the
 * ActionRequest), the requirement and the matched rules as the decision carried them (proto3 JSON),
 * the risk, and the seconds left at the current level (from `now`).
 */
export function approvalDetailsToWire(
  view: ApprovalView,
  workflowId: string,
  input: ApprovalInput | undefined,
  now: Date,
): Record<string, unknown> {
  const decision = input?.decision ?? {};
  const request = record(decision["request"]);
  const requirement = record(decision["approval"]);
  const rules = Array.isArray(decision["matchedRules"]) ? decision["matchedRules"] : undefined;
  const deadline = view.levelDeadline === undefined ? Number.NaN : Date.parse(view.levelDeadline);
  const left =
    view.status === "pending" && Number.isFinite(deadline)
      ? Math.max(Math.ceil((deadline - now.getTime()) / 1000), 0)
      : 0;
  const risk = riskToWire(input?.risk ?? view.risk ?? "");
  return {
    ...approvalToWire(view, workflowId),
    ...(request !== undefined && { request }),
    ...(requirement !== undefined && { requirement }),
    ...(rules !== undefined && { matchedRules: rules }),
    ...(risk !== undefined && { riskLevel: risk }),
    secondsToEscalation: left,
  };
}
