// A STAND-IN of the public ApprovalService API (proto/warden/approval/v1/approval.proto), NOT the
// approval service: an in-memory map of approvals behind the real gRPC scaffold (@warden/grpc:
// bearer-token auth, error mapping). It answers with the refusal codes the proto documents —
// NOT_FOUND for an unknown action; PERMISSION_DENIED for self-approval, a role that is not
// eligible and an AI voter; FAILED_PRECONDITION for a second vote, a vote after resolution and a
// vote while frozen — so the CLI's arguments, output and exit codes can be tested while the real
// service (services/approval) is being built. Replace with the real service once it is merged.
/* eslint-disable @typescript-eslint/require-await -- in-memory handlers, async to match the service interface */
import { approvalV1, commonV1 } from "@warden/contracts";
import type { GrpcServer } from "@warden/grpc";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  createGrpcServer,
  grpcService,
} from "@warden/grpc";
import type { TokenVerifier } from "@warden/identity";
import { createLogger } from "@warden/telemetry";

const { ApprovalStatus, VoteDecision } = approvalV1;

export interface ApprovalStandIn {
  readonly port: number;
  readonly approvals: Map<string, approvalV1.Approval>;
  stop(): Promise<void>;
}

/** A pending approval of `actionId`, requested by `requester` for `agentId`. */
export function pendingApproval(
  actionId: string,
  options: { agentId?: string; requester?: string; eligibleRoles?: string[]; minApprovers?: number } = {},
): approvalV1.Approval {
  return approvalV1.Approval.fromPartial({
    actionId,
    workflowId: `approval-${actionId}`,
    status: ApprovalStatus.APPROVAL_STATUS_PENDING,
    request: {
      actionId,
      agentId: options.agentId ?? "deploy-bot",
      action: "change.deploy",
      environment: commonV1.Environment.ENVIRONMENT_PRODUCTION,
      target: "payments-api",
      requestedBy: { type: commonV1.ActorType.ACTOR_TYPE_HUMAN, id: options.requester ?? "rita" },
      reason: "MINOR release",
    },
    requirement: {
      workflow: "two-approvers",
      minApprovers: options.minApprovers ?? 2,
      eligibleRoles: options.eligibleRoles ?? ["approver"],
    },
    riskLevel: commonV1.RiskLevel.RISK_LEVEL_HIGH,
    requestDigest: `sha256:${actionId}`,
    bundleDigest: "sha256:bundle",
    currentRoles: options.eligibleRoles ?? ["approver"],
    createdAt: new Date("2026-03-10T10:00:00Z"),
    levelDeadline: new Date("2026-03-10T11:00:00Z"),
  });
}

const FINAL = new Set<approvalV1.ApprovalStatus>([
  ApprovalStatus.APPROVAL_STATUS_APPROVED,
  ApprovalStatus.APPROVAL_STATUS_REJECTED,
  ApprovalStatus.APPROVAL_STATUS_CHANGES_REQUESTED,
  ApprovalStatus.APPROVAL_STATUS_BLOCKED,
  ApprovalStatus.APPROVAL_STATUS_EXPIRED,
]);

export async function startApprovalStandIn(verifier: TokenVerifier): Promise<ApprovalStandIn> {
  const approvals = new Map<string, approvalV1.Approval>();
  const find = (actionId: string): approvalV1.Approval => {
    const a = approvals.get(actionId);
    if (a === undefined) throw new NotFoundError("approval", actionId);
    return a;
  };
  const server: GrpcServer = createGrpcServer({
    logger: createLogger({ service: "approval-stand-in", level: "silent" }),
    verifier,
    host: "127.0.0.1",
    port: 0,
    services: [
      grpcService(approvalV1.ApprovalServiceDefinition, {
        async get(req) {
          return { approval: find(req.actionId) };
        },
        async listPending(req, context) {
          const roles = context.principal.roles;
          const list = [...approvals.values()]
            .filter((a) => a.status === ApprovalStatus.APPROVAL_STATUS_PENDING)
            .filter((a) => req.agentId === "" || a.request?.agentId === req.agentId)
            .filter((a) => !req.mine || a.currentRoles.some((r) => roles.includes(r)));
          return { approvals: list, nextPageToken: "" };
        },
        async decide(req, context) {
          const a = find(req.actionId);
          const voter = context.principal;
          if (req.decision === VoteDecision.VOTE_DECISION_UNSPECIFIED)
            throw new InvalidArgumentError("decision", "required");
          if (voter.type === "ai_agent")
            throw new PermissionDeniedError(`${voter.id} is an AI agent: agents may recommend, never vote`);
          if (a.request?.requestedBy?.id === voter.id)
            throw new PermissionDeniedError(`${voter.id} requested ${a.actionId} and may not approve it`);
          if (!a.currentRoles.some((r) => voter.roles.includes(r)))
            throw new PermissionDeniedError(
              `${voter.id} holds none of the eligible roles ${a.currentRoles.join(", ")}`,
            );
          if (a.status === ApprovalStatus.APPROVAL_STATUS_FROZEN)
            throw new FailedPreconditionError(`${a.actionId} is frozen by an emergency stop`);
          if (FINAL.has(a.status)) throw new FailedPreconditionError(`${a.actionId} is already resolved`);
          if (a.votes.some((v) => v.voter?.id === voter.id))
            throw new FailedPreconditionError(`${voter.id} has already voted on ${a.actionId}`);
          a.votes.push({
            voter: {
              type: commonV1.ActorType.ACTOR_TYPE_HUMAN,
              id: voter.id,
              name: voter.name ?? "",
              roles: [...voter.roles],
              team: "",
            },
            decision: req.decision,
            comment: req.comment,
            delegateTo: req.delegateTo,
            castAt: new Date(),
            counted: true,
          });
          const approvalsCast = a.votes.filter(
            (v) => v.decision === VoteDecision.VOTE_DECISION_APPROVE,
          ).length;
          if (req.decision === VoteDecision.VOTE_DECISION_REJECT)
            a.status = ApprovalStatus.APPROVAL_STATUS_REJECTED;
          else if (req.decision === VoteDecision.VOTE_DECISION_REQUEST_CHANGES)
            a.status = ApprovalStatus.APPROVAL_STATUS_CHANGES_REQUESTED;
          else if (req.decision === VoteDecision.VOTE_DECISION_ESCALATE) a.escalationLevel += 1;
          else if (approvalsCast >= (a.requirement?.minApprovers ?? 1))
            a.status = ApprovalStatus.APPROVAL_STATUS_APPROVED;
          if (FINAL.has(a.status)) a.resolvedAt = new Date();
          return { approval: a };
        },
      }),
    ],
  });
  const { port } = await server.start();
  return { port, approvals, stop: () => server.shutdown(1_000) };
}
