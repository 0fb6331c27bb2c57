// RollbackEventSink and EscalationRequests over JetStream: every fact on its topology subject, with
// its deterministic id as the Nats-Msg-Id (a re-publish within the duplicate window is dropped).
import { events } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import { factId } from "../../app/rollback-monitor.ts";
import type { EscalationRequests, RollbackEventSink, SignalPublisher } from "../../app/ports.ts";

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

const POLLED_KIND_TO_WIRE = {
  error_rate: "SIGNAL_KIND_ERROR_RATE",
  latency: "SIGNAL_KIND_LATENCY",
} as const;

/**
 * Polled metric samples as `warden.signal.observed` on `warden.signal.<kind>.<deployment>`, with an
 * id deterministic in (deployment, kind, evaluation time): a retried publish is stored once.
 */
export function natsSignalPublisher(publisher: EventPublisher, t: Topology): SignalPublisher {
  return {
    async publish(deploymentId, o) {
      if (o.kind !== "error_rate" && o.kind !== "latency") {
        throw new Error(`the monitor publishes only error_rate and latency samples, not ${o.kind}`);
      }
      await publisher.publish(t.subjects.signal(o.kind, deploymentId), events.signalObserved, {
        id: factId("signal", deploymentId, o.kind, String(o.observedAt)),
        data: {
          deploymentId,
          kind: POLLED_KIND_TO_WIRE[o.kind],
          ...(o.value !== undefined && { value: o.value }),
          ...(o.baseline !== undefined && { baseline: o.baseline }),
          source: o.source ?? "prometheus",
          observedAt: new Date(o.observedAt).toISOString(),
        },
      });
    },
  };
}
