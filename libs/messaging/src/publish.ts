// Typed, validated publishing. The event id is the JetStream Nats-Msg-Id, so a re-publish of the
// same event within the stream's duplicate window is dropped by the server.
import { context, propagation } from "@opentelemetry/api";
import { jetstream } from "@nats-io/jetstream";
import type { JetStreamClient } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { buildEvent, encodeEvent, DEFAULT_MAX_EVENT_BYTES } from "./envelope.ts";
import type { Actor, Envelope, EventDefinition, NewEvent } from "./envelope.ts";

/** W3C trace context of the active span, as NATS headers and as the envelope's traceparent. */
export function traceHeaders(): { headers: MsgHdrs; traceparent: string | undefined } {
  const h = headers();
  propagation.inject(context.active(), h, { set: (carrier, key, value) => carrier.set(key, value) });
  const traceparent = h.get("traceparent");
  return { headers: h, traceparent: traceparent === "" ? undefined : traceparent };
}

export type PublishResult<T> = { envelope: Envelope<T>; seq: number; duplicate: boolean };

export type EventPublisher = {
  /** Validates, stamps trace context and publishes to JetStream; resolves on the stream's ack. */
  publish<T>(
    subject: string,
    definition: EventDefinition<T>,
    event: Omit<NewEvent<T>, "source" | "actor" | "traceparent"> & { actor?: Actor },
  ): Promise<PublishResult<T>>;
  /** Publishes an envelope built elsewhere (e.g. re-publishing), keeping its id. */
  publishEnvelope<T>(subject: string, envelope: Envelope<T>): Promise<PublishResult<T>>;
};

export type PublisherOptions = {
  /** The service name, the envelope's `source` and default actor. */
  source: string;
  maxBytes?: number;
  timeoutMs?: number;
};

export function createPublisher(nc: NatsConnection, options: PublisherOptions): EventPublisher {
  const js: JetStreamClient = jetstream(nc, { timeout: options.timeoutMs ?? 5_000 });
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const serviceActor: Actor = { type: "service", id: options.source, roles: [] };

  async function publishEnvelope<T>(subject: string, envelope: Envelope<T>): Promise<PublishResult<T>> {
    const trace = traceHeaders();
    if (envelope.traceparent !== undefined && !trace.headers.has("traceparent")) {
      trace.headers.set("traceparent", envelope.traceparent);
    }
    const ack = await js.publish(subject, encodeEvent(envelope, maxBytes), {
      msgID: envelope.id,
      headers: trace.headers,
    });
    return { envelope, seq: ack.seq, duplicate: ack.duplicate };
  }

  return {
    async publish(subject, definition, event) {
      const { traceparent } = traceHeaders();
      const envelope = buildEvent(definition, {
        ...event,
        source: options.source,
        actor: event.actor ?? serviceActor,
        traceparent,
      });
      return publishEnvelope(subject, envelope);
    },
    publishEnvelope,
  };
}
