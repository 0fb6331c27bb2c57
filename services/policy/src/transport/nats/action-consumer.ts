// warden.action.requested.<agent> → decision. A JetStream durable consumer shared by every replica
// (one durable name, so each request is decided once). The agent's identity is the subject's last
// token (NATS permissions decide who may publish there), never the payload alone. A request on the
// bare subject (or one naming no single agent) has no identity to decide for: it is terminated and
// reported as warden.invalid.identity, so nothing an agent sends vanishes without an answer.
// While the emergency-stop state is unknown a queued request is not denied at once but redelivered
// after a delay (a NATS blip would otherwise turn a backlog into permanent denies), up to a bound of
// deliveries; on the last one it gets the fail-closed deny, its reason saying the bound is spent.
import type { NatsConnection } from "@nats-io/transport-node";
import type { EventPublisher, RunningConsumer, Topology } from "@warden/messaging";
import { consumeEvents, decodeEventAs, events, InvalidMessageError, TransientError } from "@warden/messaging";
import type { Logger } from "pino";
import { StopStateUnknownError } from "../../app/policy-service.ts";
import type { Decided, DecideOptions, PolicyService } from "../../app/policy-service.ts";
import type { PolicyMetrics } from "../../adapters/metrics.ts";
import { actionRequestFromWire } from "../../wire/wire.ts";

export const POLICY_DURABLE = "policy-decisions";

/** Before the bound: defer. On the last delivery: deny, saying the bound is spent (when there was one). */
function whileStopUnknown(
  delivery: number,
  bound: { delayMs: number; maxDeliveries: number },
): DecideOptions {
  if (delivery < bound.maxDeliveries) return { deferWhileStopUnknown: true };
  if (bound.maxDeliveries === 1) return {};
  return {
    stopUnknownNote: `still unknown at delivery ${delivery} of this queued request, redelivered every ${bound.delayMs} ms: retry bound spent`,
  };
}

export function consumeActionRequests(deps: {
  nc: NatsConnection;
  topology: Topology;
  service: PolicyService;
  publisher: EventPublisher;
  log: Logger;
  concurrency: number;
  /**
   * While the stop state is unknown: redeliver after `delayMs`, until the request's `maxDeliveries`-th
   * delivery (every delivery of the message counts), which is denied. `maxDeliveries: 1` denies at once.
   */
  unknownStopRetry: { delayMs: number; maxDeliveries: number };
  metrics?: PolicyMetrics;
}): Promise<RunningConsumer> {
  const { topology, unknownStopRetry } = deps;
  const log = deps.log.child({ component: "action-consumer" });
  // One line when queued requests start waiting for the stop state and one when they stop, rather
  // than one per request per redelivery.
  let waiting = false;
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
    onInvalid: (err) => deps.metrics?.invalid("nats", err.reason),
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
      let decided: Decided;
      try {
        decided = await deps.service.decide(
          actionRequestFromWire(event.data),
          {
            authenticatedAgentId: agent,
            requestEventId: event.id,
            wireRequest: event.data,
            ...(event.traceparent !== undefined && { traceparent: event.traceparent }),
          },
          whileStopUnknown(meta.redeliveryCount + 1, unknownStopRetry),
        );
        deps.metrics?.decided("nats", (Date.now() - Date.parse(event.time)) / 1000);
      } catch (err) {
        if (err instanceof StopStateUnknownError) {
          if (!waiting) {
            waiting = true;
            log.warn(
              { reason: err.reason, ...unknownStopRetry },
              "emergency-stop state unknown; redelivering queued action requests until it is confirmed",
            );
          }
          throw new TransientError(err.message, {
            cause: err,
            retryAfterMs: unknownStopRetry.delayMs,
            logLevel: "debug",
          });
        }
        // Deciding is pure; what can fail is recording the decision. Retry rather than lose it.
        throw new TransientError("could not record the decision", { cause: err, retryAfterMs: 500 });
      }
      if (waiting && decided.stop.kind !== "unknown") {
        waiting = false;
        log.info("deciding queued action requests again");
      }
    },
  });
}
