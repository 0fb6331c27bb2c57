// RollbackEventSink and EscalationRequests over JetStream: every fact on its topology subject, with
// its deterministic id as the Nats-Msg-Id (a re-publish within the duplicate window is dropped).
import { events } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import type { EscalationRequests, RollbackEventSink } from "../../app/ports.ts";

export function natsRollbackEvents(publisher: EventPublisher, t: Topology): RollbackEventSink {
  return {
    async publish(event) {
      const key = event.data.deploymentId;
      const common = { id: event.id, actionId: event.actionId };
      switch (event.type) {
        case "triggered":
          await publisher.publish(t.subjects.rollback("triggered", key), events.rollbackTriggered, {
            ...common,
            data: event.data,
          });
          return;
        case "dry_run":
          await publisher.publish(t.subjects.rollback("dry_run", key), events.rollbackDryRun, {
            ...common,
            data: event.data,
          });
          return;
        case "requested":
          await publisher.publish(t.subjects.rollback("requested", key), events.rollbackRequested, {
            ...common,
            data: event.data,
          });
          return;
        case "completed":
          await publisher.publish(t.subjects.rollback("completed", key), events.rollbackCompleted, {
            ...common,
            data: event.data,
          });
          return;
        case "refused":
          await publisher.publish(
            t.subjects.rollback("refused", key === "" ? "_" : key),
            events.rollbackRefused,
            { ...common, data: event.data },
          );
          return;
        case "escalated":
          await publisher.publish(t.subjects.escalation("rollback", key), events.rollbackEscalated, {
            ...common,
            data: event.data,
          });
          return;
        case "incident_opened":
          await publisher.publish(t.subjects.incident("opened", key), events.incidentOpened, {
            ...common,
            data: event.data,
          });
          return;
        case "review_overdue":
          await publisher.publish(t.subjects.incident("review_overdue", key), events.incidentReviewOverdue, {
            ...common,
            data: event.data,
          });
          return;
      }
    },
  };
}

/**
 * Escalations as ActionRequests of the rollback monitor on its own subject
 * (`actionRequested("rollback-monitor")`): the policy decides, its approval_required decision goes
 * to the approval service.
 */
export function natsEscalationRequests(
  publisher: EventPublisher,
  t: Topology,
  agentId: string,
): EscalationRequests {
  return {
    async request(request) {
      await publisher.publish(t.subjects.actionRequested(agentId), events.actionRequested, {
        id: `${request.actionId}.request`,
        actionId: request.actionId,
        actor: { type: "service", id: agentId, roles: [] },
        data: request,
      });
    },
  };
}
