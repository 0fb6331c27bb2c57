// Publishes each decision as warden.decision.<outcome>.<agent> in WARDEN_EVENTS. A decision that
// answers an action.requested event gets an id derived from that event's id, so a re-delivered
// request re-publishes the same decision id and JetStream drops the duplicate. A dry run (someone
// other than the agent asked, ADR 0009) goes to warden.decision.dry_run.<outcome>.<agent>, which no
// usage consumer and no approval consumer reads; the audit records it like any event.
import type { ActionRequestData, EventPublisher, Topology } from "@warden/messaging";
import { events } from "@warden/messaging";
import type { DecisionSink } from "../../app/ports.ts";
import { BUILTIN } from "../../domain/evaluator.ts";
import { decisionToWire, dryRunToWire } from "../../wire/wire.ts";
import { decisionEventId } from "./nats-usage-view.ts";

export function natsDecisionSink(publisher: EventPublisher, topology: Topology): DecisionSink {
  return {
    async decided(decision, _request, origin, stop) {
      const subject =
        origin.dryRunBy === undefined
          ? topology.subjects.decision(decision.outcome, origin.authenticatedAgentId)
          : topology.subjects.decisionDryRun(decision.outcome, origin.authenticatedAgentId);
      await publisher.publish(subject, events.decisionMade, {
        id: origin.requestEventId === undefined ? undefined : decisionEventId(origin.requestEventId),
        actionId: decision.actionId,
        data: {
          ...decisionToWire(
            decision,
            origin.wireRequest as ActionRequestData | undefined,
            stop,
            BUILTIN.stopActive,
          ),
          ...dryRunToWire(origin.dryRunBy),
        },
      });
    },
  };
}
