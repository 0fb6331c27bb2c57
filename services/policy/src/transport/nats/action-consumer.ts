// warden.action.requested.<agent> → decision. A JetStream durable consumer shared by every replica
// (one durable name, so each request is decided once). The agent's identity is the subject's last
// token (NATS permissions decide who may publish there), never the payload alone. A request on the
// bare subject (or one naming no single agent) has no identity to decide for: it is terminated and
// reported as warden.invalid.identity, so nothing an agent sends vanishes without an answer.
import type { NatsConnection } from "@nats-io/transport-node";
import type { EventPublisher, RunningConsumer, Topology } from "@warden/messaging";
import { consumeEvents, decodeEventAs, events, InvalidMessageError, TransientError } from "@warden/messaging";
import type { Logger } from "pino";
import type { PolicyService } from "../../app/policy-service.ts";
import { actionRequestFromWire } from "../../wire/wire.ts";

export const POLICY_DURABLE = "policy-decisions";

export function consumeActionRequests(deps: {
  nc: NatsConnection;
  topology: Topology;
  service: PolicyService;
  publisher: EventPublisher;
  log: Logger;
  concurrency: number;
}): Promise<RunningConsumer> {
  const { topology } = deps;
  return consumeEvents({
    nc: deps.nc,
    topology,
    spec: {
      stream: topology.streams.events,
      durable: POLICY_DURABLE,
      filterSubjects: [topology.subjects.actionRequestedAll, topology.subjects.actionRequestedUnidentified],
    },
    decode: (bytes) => decodeEventAs(bytes, events.actionRequested),
    publisher: deps.publisher,
    log: deps.log,
    concurrency: deps.concurrency,
    handler: async (event, meta) => {
      const agent = topology.subjects.agentOfActionRequested(meta.subject);
      if (agent === undefined) {
        throw new InvalidMessageError("identity", [
          {
            field: "(subject)",
            reason: `${meta.subject} does not name one agent (${topology.subjects.actionRequested("<agent>")})`,
          },
        ]);
      }
      try {
        await deps.service.decide(actionRequestFromWire(event.data), {
          authenticatedAgentId: agent,
          requestEventId: event.id,
          wireRequest: event.data,
          ...(event.traceparent !== undefined && { traceparent: event.traceparent }),
        });
      } catch (err) {
        // Deciding is pure; what can fail is recording the decision. Retry rather than lose it.
        throw new TransientError("could not record the decision", { cause: err, retryAfterMs: 500 });
      }
    },
  });
}
