// Typed, validated publishing. The event id is the JetStream Nats-Msg-Id, so a re-publish of the
// same event within the stream's duplicate window is dropped by the server.
import { context, propagation } from "@opentelemetry/api";
import { jetstream } from "@nats-io/jetstream";
import type { JetStreamClient } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import { buildEvent, encodeEvent, DEFAULT_MAX_EVENT_BYTES } from "./envelope.ts";
import type { Actor, Envelope, EventDefinition, NewEvent } from "./envelope.ts";

/**
 * W3C trace context of the active span, as NATS headers and as the envelope's traceparent; no
 * headers when there is no active trace (header encoding is a measurable share of a publish).
 */
export function traceHeaders(): { headers: MsgHdrs | undefined; traceparent: string | undefined } {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const traceparent = carrier["traceparent"];
  if (traceparent === undefined) return { headers: undefined, traceparent: undefined };
  const h = headers();
  for (const [key, value] of Object.entries(carrier)) h.set(key, value);
  return { headers: h, traceparent };
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

  async function send<T>(
    subject: string,
    envelope: Envelope<T>,
    h: MsgHdrs | undefined,
  ): Promise<PublishResult<T>> {
    const ack = await js.publish(subject, encodeEvent(envelope, maxBytes), {
      msgID: envelope.id,
      ...(h !== undefined && { headers: h }),
    });
    return { envelope, seq: ack.seq, duplicate: ack.duplicate };
  }

  function publishEnvelope<T>(subject: string, envelope: Envelope<T>): Promise<PublishResult<T>> {
    let { headers: h } = traceHeaders();
    if (h === undefined && envelope.traceparent !== undefined) {
      h = headers();
      h.set("traceparent", envelope.traceparent);
    }
    return send(subject, envelope, h);
  }

  return {
    publish(subject, definition, event) {
      const trace = traceHeaders();
      const envelope = buildEvent(definition, {
        ...event,
        source: options.source,
        actor: event.actor ?? serviceActor,
        traceparent: trace.traceparent,
      });
      return send(subject, envelope, trace.headers);
    },
    publishEnvelope,
  };
}
