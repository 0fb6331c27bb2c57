// gRPC ApprovalService: Get, ListPending, Decide. The voter is the verified token's subject and
// roles (the auth middleware's principal), never a request field. A refusal by the workflow's vote
// validator is answered with PERMISSION_DENIED (who the voter is) or FAILED_PRECONDITION (the state
// of the approval), carrying the validator's message; the refusal is published first (app layer).
import { approvalV1 } from "@warden/contracts";
import {
  FailedPreconditionError,
  grpcService,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnavailableError,
} from "@warden/grpc";
import type { GrpcServiceRegistration } from "@warden/grpc";
import type { Principal } from "@warden/identity";
import type { ApprovalService } from "../../app/approval-service.ts";
import { ApprovalNotFoundError, VoteRefusedError, WorkflowsUnavailableError } from "../../app/ports.ts";
import { refusalKind } from "../../domain/refusal-kind.ts";
import { approvalDetailsToWire, approvalToWire, decisionFromWire } from "../../wire/approval-wire.ts";
import { enumName } from "../../wire/decision-input.ts";
import type { ApprovalActor, ApprovalView } from "../../workflows/contract.ts";
import { approvalWorkflowId } from "../../workflows/contract.ts";

const MAX_PAGE = 500;
const DEFAULT_PAGE = 50;

export const actorOf = (principal: Principal): ApprovalActor => ({
  type: principal.type,
  id: principal.id,
  roles: [...principal.roles],
});

const toWire = (view: ApprovalView): approvalV1.Approval =>
  approvalV1.Approval.fromJSON(approvalToWire(view, approvalWorkflowId(view.actionId)));

/** Maps the app's errors to the gRPC taxonomy once, here. */
function mapped(err: unknown): unknown {
  if (err instanceof ApprovalNotFoundError)
    return new NotFoundError("approval", err.message.replace(/^.* /, ""));
  if (err instanceof WorkflowsUnavailableError) return new UnavailableError(err.message, { cause: err });
  if (err instanceof VoteRefusedError) {
    const message = `${err.code}: ${err.message}`;
    switch (refusalKind(err.code)) {
      case "permission_denied":
        return new PermissionDeniedError(message);
      case "invalid_argument":
        return new InvalidArgumentError("decision", message);
      case "failed_precondition":
        return new FailedPreconditionError(message);
    }
  }
  return err;
}

const required = (value: string, field: string): string => {
  if (value.trim() === "") throw new InvalidArgumentError(field, "required");
  return value;
};

export function approvalGrpcService(service: ApprovalService): GrpcServiceRegistration {
  return grpcService(approvalV1.ApprovalServiceDefinition, {
    async get(req) {
      try {
        const { view, input } = await service.details(required(req.actionId, "action_id"));
        return {
          approval: approvalV1.Approval.fromJSON(
            approvalDetailsToWire(view, approvalWorkflowId(view.actionId), input, new Date()),
          ),
        };
      } catch (err) {
        throw mapped(err);
      }
    },
    async listPending(req, context) {
      if (req.pageSize > MAX_PAGE) throw new InvalidArgumentError("page_size", `at most ${MAX_PAGE}`);
      const environment =
        req.environment === "ENVIRONMENT_UNSPECIFIED" ? undefined : enumName(req.environment, "ENVIRONMENT_");
      const risk =
        req.riskLevel === "RISK_LEVEL_UNSPECIFIED" ? undefined : enumName(req.riskLevel, "RISK_LEVEL_");
      try {
        const page = await service.listPending(
          actorOf(context.principal),
          {
            mine: req.mine,
            agentId: req.agentId === "" ? undefined : req.agentId,
            environment,
            risk,
          },
          {
            size: req.pageSize === 0 ? DEFAULT_PAGE : req.pageSize,
            token: req.pageToken === "" ? undefined : req.pageToken,
          },
        );
        const now = new Date();
        return {
          approvals: page.approvals.map(({ view, input }) =>
            approvalV1.Approval.fromJSON(
              approvalDetailsToWire(view, approvalWorkflowId(view.actionId), input, now),
            ),
          ),
          nextPageToken: page.nextPageToken ?? "",
        };
      } catch (err) {
        throw mapped(err);
      }
    },
    async decide(req, context) {
      const actionId = required(req.actionId, "action_id");
      const decision = decisionFromWire(req.decision);
      if (decision === undefined) {
        throw new InvalidArgumentError(
          "decision",
          "must be APPROVE, REJECT, REQUEST_CHANGES, ESCALATE, DELEGATE or BREAK_GLASS",
        );
      }
      try {
        const view = await service.decide(actorOf(context.principal), actionId, {
          decision,
          comment: req.comment === "" ? undefined : req.comment,
          delegateTo: req.delegateTo === "" ? undefined : req.delegateTo,
          requestDigest: req.requestDigest === "" ? undefined : req.requestDigest,
        });
        return { approval: toWire(view) };
      } catch (err) {
        throw mapped(err);
      }
    },
  });
}
