// ApprovalWorkflows over a Temporal client. Starts use Temporal's own duplicate handling:
// `workflowIdConflictPolicy: USE_EXISTING` (a running approval-<actionId> is returned as is) and
// `workflowIdReusePolicy: REJECT_DUPLICATE` (a finished one is never started again), so a redelivered
// or duplicate decision is a no-op without a check of our own. Open approvals are found with a
// visibility query on the search attributes (WardenStatus, WardenAgent, WardenEnvironment, WardenRisk).
import type { Client } from "@temporalio/client";
import {
  isGrpcServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from "@temporalio/client";
import {
  ApplicationFailure,
  defaultPayloadConverter,
  defineSearchAttributeKey,
  SearchAttributeType,
} from "@temporalio/common";
import type { Payload } from "@temporalio/common";
import type { ApprovalWorkflows, OpenApproval, OpenFilter } from "../../app/ports.ts";
import { ApprovalNotFoundError, VoteRefusedError, WorkflowsUnavailableError } from "../../app/ports.ts";
import {
  APPROVAL_SEARCH_ATTRIBUTES as SA,
  APPROVAL_WORKFLOW_TYPE,
  approvalWorkflowId,
  consumeUpdate,
  stateQuery,
  inputQuery,
  stopSignal,
  voteUpdate,
} from "../../workflows/contract.ts";
import type { ApprovalInput } from "../../workflows/contract.ts";
import { voteRefusal } from "../../domain/refusals.ts";

export const searchAttributeKeys = {
  status: defineSearchAttributeKey(SA.status, SearchAttributeType.KEYWORD),
  risk: defineSearchAttributeKey(SA.risk, SearchAttributeType.KEYWORD),
  agent: defineSearchAttributeKey(SA.agent, SearchAttributeType.KEYWORD),
  environment: defineSearchAttributeKey(SA.environment, SearchAttributeType.KEYWORD),
  escalationLevel: defineSearchAttributeKey(SA.escalationLevel, SearchAttributeType.INT),
};

/** gRPC status codes (the numbers are the protocol's). */
const GrpcStatus = {
  NOT_FOUND: 5,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  UNAVAILABLE: 14,
};

const WORKFLOW_ID_PREFIX = approvalWorkflowId("");

/** A visibility query literal (single-quoted, quotes escaped). */
const literal = (value: string): string => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** The visibility query of open approvals matching a filter (the README shows it). */
export function openApprovalsQuery(filter: OpenFilter): string {
  const clauses = [
    `WorkflowType = ${literal(APPROVAL_WORKFLOW_TYPE)}`,
    `${SA.status} IN ('pending', 'frozen')`,
    `ExecutionStatus = 'Running'`,
  ];
  if (filter.agentId !== undefined) clauses.push(`${SA.agent} = ${literal(filter.agentId)}`);
  if (filter.environment !== undefined) clauses.push(`${SA.environment} = ${literal(filter.environment)}`);
  if (filter.risk !== undefined) clauses.push(`${SA.risk} = ${literal(filter.risk)}`);
  return clauses.join(" AND ");
}

/** Errors that mean "Temporal cannot answer now" (server down, overloaded, deadline). */
export function isUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    if (isGrpcServiceError(e)) {
      return [
        GrpcStatus.UNAVAILABLE,
        GrpcStatus.DEADLINE_EXCEEDED,
        GrpcStatus.RESOURCE_EXHAUSTED,
        GrpcStatus.ABORTED,
      ].includes(Number(e.code));
    }
    if (/connect|unavailable|ECONNREFUSED|transport|deadline/i.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

function keyword(payload: Payload | undefined): string {
  if (payload === undefined) return "";
  const value: unknown = defaultPayloadConverter.fromPayload(payload);
  if (Array.isArray(value)) return typeof value[0] === "string" ? value[0] : "";
  return typeof value === "string" ? value : "";
}

const b64 = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes === null || bytes === undefined || bytes.length === 0
    ? undefined
    : Buffer.from(bytes).toString("base64");

export function temporalApprovalWorkflows(deps: {
  client: Client;
  namespace: string;
  taskQueue: string;
}): ApprovalWorkflows {
  const { client, taskQueue } = deps;
  const handle = (actionId: string) => client.workflow.getHandle(approvalWorkflowId(actionId));
  const notFound = (err: unknown): boolean =>
    err instanceof WorkflowNotFoundError ||
    (isGrpcServiceError(err) && Number(err.code) === GrpcStatus.NOT_FOUND);

  return {
    async start(input: ApprovalInput) {
      try {
        await client.workflow.start(APPROVAL_WORKFLOW_TYPE, {
          workflowId: approvalWorkflowId(input.actionId),
          taskQueue,
          args: [input],
          workflowIdConflictPolicy: "USE_EXISTING",
          workflowIdReusePolicy: "REJECT_DUPLICATE",
          typedSearchAttributes: [
            { key: searchAttributeKeys.status, value: "pending" },
            { key: searchAttributeKeys.risk, value: input.risk },
            { key: searchAttributeKeys.agent, value: input.agentId },
            { key: searchAttributeKeys.environment, value: input.environment },
            { key: searchAttributeKeys.escalationLevel, value: 0 },
          ],
        });
        return { started: true };
      } catch (err) {
        // The approval ran and closed: REJECT_DUPLICATE keeps it closed; the decision is a duplicate.
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
        if (isUnavailable(err))
          throw new WorkflowsUnavailableError("Temporal cannot start workflows now", { cause: err });
        throw err;
      }
    },

    async input(actionId) {
      try {
        return await handle(actionId).query(inputQuery);
      } catch (err) {
        if (isUnavailable(err))
          throw new WorkflowsUnavailableError("Temporal cannot answer now", { cause: err });
        // Not found, or a workflow built without the query: Get shows the view alone.
        return undefined;
      }
    },

    async view(actionId) {
      try {
        return await handle(actionId).query(stateQuery);
      } catch (err) {
        if (notFound(err)) return undefined;
        if (isUnavailable(err))
          throw new WorkflowsUnavailableError("Temporal cannot answer now", { cause: err });
        throw err;
      }
    },

    async listOpen(filter, page) {
      const response = await client.workflowService.listWorkflowExecutions({
        namespace: deps.namespace,
        query: openApprovalsQuery(filter),
        pageSize: page.size,
        ...(page.token === undefined ? {} : { nextPageToken: Buffer.from(page.token, "base64") }),
      });
      const approvals: OpenApproval[] = [];
      for (const execution of response.executions ?? []) {
        const workflowId = execution.execution?.workflowId ?? "";
        if (!workflowId.startsWith(WORKFLOW_ID_PREFIX)) continue;
        const fields = execution.searchAttributes?.indexedFields ?? {};
        approvals.push({
          actionId: workflowId.slice(WORKFLOW_ID_PREFIX.length),
          agentId: keyword(fields[SA.agent]),
          environment: keyword(fields[SA.environment]),
        });
      }
      return { approvals, nextPageToken: b64(response.nextPageToken) };
    },

    async vote(actionId, vote) {
      try {
        return await handle(actionId).executeUpdate(voteUpdate, { args: [vote] });
      } catch (err) {
        if (notFound(err)) {
          // A closed workflow (rejected, blocked, expired, consumed) takes no update: Temporal says
          // not found. Its state query still answers: the vote is refused as resolved, like the
          // validator refuses it while the workflow runs; only an approval that never was is not found.
          const closed = await handle(actionId)
            .query(stateQuery)
            .catch(() => undefined);
          if (closed === undefined) throw new ApprovalNotFoundError(`no approval for action ${actionId}`);
          const refusal = voteRefusal("resolved", "approval", `is already resolved (${closed.status})`);
          throw new VoteRefusedError(refusal.code, refusal.message);
        }
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
          throw new VoteRefusedError(err.cause.type ?? "refused", err.cause.message);
        }
        if (isUnavailable(err))
          throw new WorkflowsUnavailableError("Temporal cannot take votes now", { cause: err });
        throw err;
      }
    },

    async consume(actionId, input) {
      try {
        return await handle(actionId).executeUpdate(consumeUpdate, { args: [input] });
      } catch (err) {
        if (notFound(err)) return undefined;
        if (isUnavailable(err))
          throw new WorkflowsUnavailableError("Temporal cannot answer now", { cause: err });
        throw err;
      }
    },

    async signalStop(actionId, signal) {
      await handle(actionId).signal(stopSignal, signal);
    },
  };
}
