// A JetStream publisher for records published at a high rate, each awaiting its own PubAck, with
// the same envelope, validation, Nats-Msg-Id and trace headers as `createPublisher`. What it saves
// is nats.js's per-request machinery: `js.publish` is a `nc.request`, with its own inbox entry,
// timeout timer and (nats.js 3.4) an error object built on every successful reply. Here every
// publish carries a reply subject under one inbox subscription (`<inbox>.<n>`), its ack is matched
// by that token, and one coarse timer fails acks older than the timeout. A rejected publish (the
// stream's error, no stream for the subject, the timeout) rejects that record's promise only.
import { createInbox, headers } from "@nats-io/transport-node";
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import { buildEvent, encodeEvent, DEFAULT_MAX_EVENT_BYTES } from "./envelope.ts";
import type { Actor, Envelope } from "./envelope.ts";
import { traceHeaders } from "./publish.ts";
import type { EventPublisher, PublisherOptions, PublishResult } from "./publish.ts";

/** A record's publish the stream refused or did not acknowledge in time. */
export class PublishAckError extends Error {
  override readonly name = "PublishAckError";
  readonly code: number | undefined;
  constructor(message: string, code: number | undefined) {
    super(message);
    this.code = code;
  }
}

export type PipelinedPublisher = EventPublisher & {
  /** Records whose ack has not arrived yet. */
  readonly pending: () => number;
  /** Fails every pending record and unsubscribes; the connection stays open. */
  close(): void;
};

type Waiting = {
  readonly at: number;
  readonly resolve: (ack: { seq: number; duplicate: boolean }) => void;
  readonly reject: (err: Error) => void;
};

type AckBody = {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; description?: string };
};

const decoder = new TextDecoder();
const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/**
 * The connection's inbox prefix (an identity restricted to its own inbox, NATS_INBOX_PREFIX, must
 * receive its acks there): nats.js keeps it in the connection's options, which its type hides.
 */
function inboxPrefixOf(nc: NatsConnection): string | undefined {
  return (nc as unknown as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
}

export function createPipelinedPublisher(nc: NatsConnection, options: PublisherOptions): PipelinedPublisher {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const serviceActor: Actor = { type: "service", id: options.source, roles: [] };
  const inbox = createInbox(inboxPrefixOf(nc));
  const waiting = new Map<string, Waiting>();
  let next = 0;
  let closed = false;

  const settle = (msg: Msg): void => {
    const token = msg.subject.slice(inbox.length + 1);
    const w = waiting.get(token);
    if (w === undefined) return; // late (already timed out) or foreign
    waiting.delete(token);
    if (msg.data.length === 0) {
      // A status message: 503 = no stream listens on the subject.
      const code = msg.headers?.code;
      w.reject(
        new PublishAckError(
          code === 503 ? "no JetStream stream for the subject (503)" : `no ack (status ${code ?? "none"})`,
          code,
        ),
      );
      return;
    }
    let body: AckBody;
    try {
      body = JSON.parse(decoder.decode(msg.data)) as AckBody;
    } catch {
      w.reject(new PublishAckError("unparsable PubAck", undefined));
      return;
    }
    if (body.error !== undefined) {
      w.reject(
        new PublishAckError(
          `stream refused the record: ${body.error.description ?? "no reason"}`,
          body.error.code,
        ),
      );
    } else if (typeof body.seq !== "number" || body.stream === undefined || body.stream === "") {
      w.reject(new PublishAckError("invalid PubAck (no stream or seq)", undefined));
    } else {
      w.resolve({ seq: body.seq, duplicate: body.duplicate === true });
    }
  };

  const sub: Subscription = nc.subscribe(`${inbox}.*`, {
    callback: (err, msg) => {
      if (err === null) settle(msg);
    },
  });

  // Oldest first (Map keeps insertion order): stop at the first that is still in time.
  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - timeoutMs;
      for (const [token, w] of waiting) {
        if (w.at > cutoff) break;
        waiting.delete(token);
        w.reject(new PublishAckError(`no PubAck within ${timeoutMs} ms`, undefined));
      }
    },
    Math.max(50, Math.min(1_000, timeoutMs / 4)),
  );
  sweep.unref();

  function send<T>(subject: string, envelope: Envelope<T>, h: MsgHdrs): Promise<PublishResult<T>> {
    if (closed) return Promise.reject(new PublishAckError("publisher closed", undefined));
    const token = (next++).toString(36);
    return new Promise<{ seq: number; duplicate: boolean }>((resolve, reject) => {
      waiting.set(token, { at: Date.now(), resolve, reject });
      try {
        h.set("Nats-Msg-Id", envelope.id);
        nc.publish(subject, encodeEvent(envelope, maxBytes), { reply: `${inbox}.${token}`, headers: h });
      } catch (err) {
        waiting.delete(token);
        reject(asError(err));
      }
    }).then((ack) => ({ envelope, seq: ack.seq, duplicate: ack.duplicate }));
  }

  return {
    publish(subject, definition, event) {
      const trace = traceHeaders();
      let envelope;
      try {
        envelope = buildEvent(definition, {
          ...event,
          source: options.source,
          actor: event.actor ?? serviceActor,
          traceparent: trace.traceparent,
        });
      } catch (err) {
        return Promise.reject(asError(err));
      }
      return send(subject, envelope, trace.headers ?? headers());
    },
    publishEnvelope(subject, envelope) {
      let { headers: h } = traceHeaders();
      if (h === undefined) {
        h = headers();
        if (envelope.traceparent !== undefined) h.set("traceparent", envelope.traceparent);
      }
      return send(subject, envelope, h);
    },
    pending: () => waiting.size,
    close() {
      closed = true;
      clearInterval(sweep);
      sub.unsubscribe();
      for (const [token, w] of waiting) {
        waiting.delete(token);
        w.reject(new PublishAckError("publisher closed before the PubAck", undefined));
      }
    },
  };
}
