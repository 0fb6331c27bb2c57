// The rollback workflow's activities over the monitor's ports: notifications, execution, the
// completed / escalated / incident / review-overdue events and the escalation ActionRequest.
// Every fact has a deterministic id, so a retried activity publishes it once.
import { environmentToWire, ESCALATION_ACTION, factId, MONITOR_AGENT_ID } from "../app/rollback-monitor.ts";
import type {
  Clock,
  EscalationRequests,
  Notifier,
  RollbackEventSink,
  RollbackExecutor,
} from "../app/ports.ts";
import type { RollbackRequest, RollbackResultName } from "../domain/rollback-request.ts";

export interface ActivityDeps {
  events: RollbackEventSink;
  escalations: EscalationRequests;
  executor: RollbackExecutor;
  notifier: Notifier;
  clock: Clock;
}

const RESULT_TO_WIRE = {
  succeeded: "ROLLBACK_RESULT_SUCCEEDED",
  failed: "ROLLBACK_RESULT_FAILED",
  verification_failed: "ROLLBACK_RESULT_VERIFICATION_FAILED",
} as const;

export function createActivities(deps: ActivityDeps) {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    async notify(
      kind: "started" | "succeeded" | "failed" | "review_overdue",
      request: RollbackRequest,
      detail: string,
    ): Promise<void> {
      await deps.notifier.notify(kind, request, detail);
    },

    /** Returns `requestedAt`: health checks observed at or after it verify the rollback. */
    async execute(request: RollbackRequest, workflowId: string): Promise<{ requestedAt: string }> {
      const requestedAt = iso(deps.clock.now());
      await deps.events.publish({
        type: "requested",
        id: factId("requested", request.deploymentId),
        actionId: request.actionId,
        data: {
          deploymentId: request.deploymentId,
          ...(request.actionId !== undefined && { actionId: request.actionId }),
          service: request.service,
          ...(environmentToWire(request.environment) !== undefined && {
            environment: environmentToWire(request.environment),
          }),
          strategy: request.strategy,
          fromVersion: request.fromVersion,
          ...(request.toVersion !== undefined && { toVersion: request.toVersion }),
          workflowId,
          trigger: request.trigger,
          requestedAt,
        },
      });
      await deps.executor.execute(request, workflowId);
      return { requestedAt };
    },

    async publishCompleted(
      request: RollbackRequest,
      workflowId: string,
      result: RollbackResultName,
      detail: string,
    ): Promise<void> {
      await deps.events.publish({
        type: "completed",
        id: factId("completed", request.deploymentId),
        actionId: request.actionId,
        data: {
          deploymentId: request.deploymentId,
          ...(request.actionId !== undefined && { actionId: request.actionId }),
          workflowId,
          result: RESULT_TO_WIRE[result],
          detail,
          completedAt: iso(deps.clock.now()),
        },
      });
    },

    /** A failed or unverified rollback: humans decide (an approval-required action by the monitor). */
    async escalateRollback(
      request: RollbackRequest,
      workflowId: string,
      result: RollbackResultName,
      detail: string,
    ): Promise<string> {
      const trigger = `rollback-${result.replace("_", "-")}`;
      const escalationActionId = factId("decide", request.deploymentId, trigger, workflowId);
      await deps.escalations.request({
        actionId: escalationActionId,
        agentId: MONITOR_AGENT_ID,
        action: ESCALATION_ACTION,
        ...(environmentToWire(request.environment) !== undefined && {
          environment: environmentToWire(request.environment),
        }),
        target: request.service,
        service: request.service,
        reason: `${trigger}: ${detail}`,
        arguments: { deploymentId: request.deploymentId, trigger, workflowId, version: request.fromVersion },
        requestedAt: iso(deps.clock.now()),
      });
      await deps.events.publish({
        type: "escalated",
        id: factId("escalated", request.deploymentId, trigger, workflowId),
        actionId: escalationActionId,
        data: {
          deploymentId: request.deploymentId,
          ...(request.actionId !== undefined && { actionId: request.actionId }),
          service: request.service,
          trigger,
          reason: detail,
          roles: request.escalationRoles,
          escalationActionId,
          escalatedAt: iso(deps.clock.now()),
        },
      });
      return escalationActionId;
    },

    async openIncident(
      request: RollbackRequest,
      workflowId: string,
      result: RollbackResultName,
      detail: string,
    ): Promise<{ incidentId: string; reviewDueAt: string }> {
      const openedAt = deps.clock.now();
      const incidentId = `incident-${workflowId}`.slice(0, 128);
      const reviewDueAt = iso(openedAt + request.reviewDueMs);
      await deps.events.publish({
        type: "incident_opened",
        id: factId("incident", request.deploymentId, workflowId),
        actionId: request.actionId,
        data: {
          incidentId,
          deploymentId: request.deploymentId,
          ...(request.actionId !== undefined && { actionId: request.actionId }),
          service: request.service,
          ...(environmentToWire(request.environment) !== undefined && {
            environment: environmentToWire(request.environment),
          }),
          severity: request.severity,
          summary: `${request.service} ${request.fromVersion} rolled back (${request.trigger}): ${detail}`,
          rollbackResult: RESULT_TO_WIRE[result],
          openedAt: iso(openedAt),
          reviewDueAt,
        },
      });
      return { incidentId, reviewDueAt };
    },

    async reviewOverdue(request: RollbackRequest, incidentId: string, reviewDueAt: string): Promise<void> {
      await deps.events.publish({
        type: "review_overdue",
        id: factId("review_overdue", request.deploymentId, incidentId),
        data: { incidentId, deploymentId: request.deploymentId, service: request.service, reviewDueAt },
      });
      await deps.notifier.notify(
        "review_overdue",
        request,
        `post-incident review of ${incidentId} was due ${reviewDueAt}`,
      );
    },
  };
}
