// Durable pull consumers with bounded concurrency (STYLE.md item 13): ack only after the handler's
// effect is committed; transient failures are nak'ed with a delay; a message that can never be
// valid is terminated once and reported as warden.invalid.<reason>.
import {
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { Context, Link } from "@opentelemetry/api";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError } from "@nats-io/jetstream";
import type { ConsumerConfig, ConsumerMessages, JsMsg, PriorityPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { nanos } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Envelope } from "./envelope.ts";
import { InvalidMessageError, TransientError } from "./errors.ts";
import { reportInvalid } from "./invalid.ts";
import type { EventPublisher } from "./publish.ts";
import type { Topology } from "./subjects.ts";

const tracer = trace.getTracer("@warden/messaging");

export type DurableSpec = {
  stream: string;
  durable: string;
  filterSubjects: string[];
  /** How long the server waits for an ack before redelivering. */
  ackWaitMs?: number;
  maxDeliver?: number;
  deliverPolicy?: DeliverPolicy;
  maxAckPending?: number;
  /**
   * A priority group (NATS ≥ 2.11), e.g. `{ name: "audit", policy: "pinned_client", timeoutMs: 10_000 }`:
   * with pinned_client the server delivers to one pinned client and pins another after it stops
   * pulling for `timeoutMs`. Pull with `consume({ group: name })`.
   */
  priorityGroup?: { name: string; policy: PriorityPolicy; timeoutMs?: number };
};

/** Creates the durable consumer, or updates it to the spec; idempotent. */
export async function ensureDurable(nc: NatsConnection, spec: DurableSpec): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config: Partial<ConsumerConfig> = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: spec.deliverPolicy ?? DeliverPolicy.All,
    filter_subjects: spec.filterSubjects,
    ack_wait: nanos(spec.ackWaitMs ?? 30_000),
    max_deliver: spec.maxDeliver ?? -1,
    max_ack_pending: spec.maxAckPending ?? 1_000,
    ...(spec.priorityGroup !== undefined && {
      priority_groups: [spec.priorityGroup.name],
      priority_policy: spec.priorityGroup.policy,
      ...(spec.priorityGroup.timeoutMs !== undefined && {
        priority_timeout: nanos(spec.priorityGroup.timeoutMs),
      }),
    }),
  };
  try {
    await jsm.consumers.info(spec.stream, spec.durable);
    const { durable_name: _name, deliver_policy: _policy, ...updatable } = config;
    await jsm.consumers.update(spec.stream, spec.durable, updatable);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.status === 404)) throw err;
    await jsm.consumers.add(spec.stream, config);
  }
}

export type MessageMeta = {
  subject: string;
  streamSeq: number;
  redeliveryCount: number;
  headers: JsMsg["headers"];
  /** When the stream stored the message (ms since the epoch). */
  timestampMs: number;
};

export type ConsumeOptions<T> = {
  nc: NatsConnection;
  topology: Topology;
  spec: DurableSpec;
  /** Parses and validates a payload; throws InvalidMessageError for a message that can never be valid. */
  decode: (bytes: Uint8Array, meta: MessageMeta) => Envelope<T>;
  handler: (event: Envelope<T>, meta: MessageMeta) => Promise<void>;
  /** Reports invalid messages as warden.invalid.<reason> events. */
  publisher: EventPublisher;
  log: Logger;
  /** Messages handled at once (each worker handles one at a time). */
  concurrency?: number;
  /**
   * Per-key ordering (e.g. the deployment id, the subject's last token): with a key, one pull
   * subscription reads the stream in order and up to `concurrency` messages are in flight at once,
   * but messages with the same key are handled one after another in stream order (different keys in
   * parallel). `undefined` for a message: no ordering constraint. Each message is still acked only
   * after its own handler resolved.
   */
  orderingKey?: (subject: string) => string | undefined;
  /** Delay before a message that failed for an unexpected reason is redelivered. */
  retryDelayMs?: number;
  /**
   * Whether this consumer reports envelope failures (bytes that are no Warden envelope) as well as
   * event failures. Default false: the audit's consumer, which reads every subject of the stream, is
   * their one reporter, so a message is reported once however many consumers see it (invalid.ts).
   */
  reportEnvelopeFailures?: boolean;
  /** Called once per invalid message this consumer terminated (reported or not), e.g. to count it. */
  onInvalid?: (err: InvalidMessageError, meta: MessageMeta) => void;
};

export type RunningConsumer = { stop(): Promise<void>; done: Promise<void> };

/**
 * Consumes a durable pull consumer with `concurrency` workers. Returns when the consumer is running;
 * `stop()` stops pulling and waits for in-flight handlers.
 */
export async function consumeEvents<T>(options: ConsumeOptions<T>): Promise<RunningConsumer> {
  await ensureDurable(options.nc, options.spec);
  const js = jetstream(options.nc);
  const consumer = await js.consumers.get(options.spec.stream, options.spec.durable);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  if (options.orderingKey !== undefined) {
    const messages = await consumer.consume({ max_messages: Math.max(16, concurrency) });
    const log = options.log.child({ consumer: options.spec.durable });
    const maxBuffered = Math.max(concurrency, options.spec.maxAckPending ?? 1_000);
    const done = dispatchKeyed(
      messages,
      concurrency,
      maxBuffered,
      options.orderingKey,
      (msg) => handleOne(options, msg, log),
      log,
    );
    return {
      done,
      async stop() {
        await messages.close();
        await done;
      },
    };
  }
  const iterators: ConsumerMessages[] = [];
  for (let i = 0; i < concurrency; i++) {
    iterators.push(await consumer.consume({ max_messages: 16 }));
  }
  const log = options.log.child({ consumer: options.spec.durable });
  const workers = iterators.map(async (messages) => {
    for await (const msg of messages) {
      await handleOne(options, msg, log);
    }
  });
  const done = Promise.all(workers).then(() => undefined);
  return {
    done,
    async stop() {
      await Promise.all(iterators.map((it) => it.close()));
      await done;
    },
  };
}

/**
 * Reads `messages` in stream order; messages with the same key run one after another (each after
 * the previous one of its key settled), at most `concurrency` handlers run at once. A message
 * waiting behind its key holds no handler slot, so one slow key never stalls the others; how many
 * wait is bounded by `maxBuffered` (the loop stops pulling) and, on the server, by max_ack_pending.
 * Resolves once the iterator ended and every message settled.
 */
async function dispatchKeyed(
  messages: AsyncIterable<JsMsg>,
  concurrency: number,
  maxBuffered: number,
  keyOf: (subject: string) => string | undefined,
  handle: (msg: JsMsg) => Promise<void>,
  log: Logger,
): Promise<void> {
  const buffered = new Set<Promise<void>>();
  const tails = new Map<string, Promise<void>>();
  let running = 0;
  const waiting: (() => void)[] = [];
  const run = async (msg: JsMsg): Promise<void> => {
    while (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      await handle(msg);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  for await (const msg of messages) {
    while (buffered.size >= maxBuffered) await Promise.race(buffered);
    const key = keyOf(msg.subject);
    const previous = key === undefined ? undefined : tails.get(key);
    const job = (previous ?? Promise.resolve()).catch(() => undefined).then(() => run(msg));
    if (key !== undefined) tails.set(key, job);
    const settled: Promise<void> = job
      // handleOne settles handler failures itself (nak / term); this is a failure to settle.
      .catch((err: unknown) =>
        log.error({ err, subject: msg.subject }, "message not settled; it will be redelivered"),
      )
      .finally(() => {
        buffered.delete(settled);
        if (key !== undefined && tails.get(key) === job) tails.delete(key);
      });
    buffered.add(settled);
  }
  await Promise.all(buffered);
}

/**
 * The parent of a consumer span: the `traceparent` NATS header when there is one, else the
 * envelope's own `traceparent` field (what a client without tracing, e.g. `nats pub`, writes). When
 * both are present and differ, the header wins (it is what the last hop's tracing set, e.g. a
 * re-publish inside another span) and the span links to the envelope's context.
 */
export function consumerParent(
  headers: JsMsg["headers"],
  envelopeTraceparent: string | undefined,
): { parent: Context; links: Link[] } {
  const fromHeader = propagation.extract(ROOT_CONTEXT, headers, {
    get: (carrier, key) => carrier?.get(key) || undefined,
    keys: (carrier) => (carrier ? carrier.keys() : []),
  });
  if (envelopeTraceparent === undefined) return { parent: fromHeader, links: [] };
  const fromEnvelope = propagation.extract(
    ROOT_CONTEXT,
    { traceparent: envelopeTraceparent },
    defaultTextMapGetter,
  );
  const headerSpan = trace.getSpanContext(fromHeader);
  const envelopeSpan = trace.getSpanContext(fromEnvelope);
  if (headerSpan === undefined || !trace.isSpanContextValid(headerSpan)) {
    return { parent: fromEnvelope, links: [] };
  }
  if (
    envelopeSpan === undefined ||
    !trace.isSpanContextValid(envelopeSpan) ||
    (envelopeSpan.traceId === headerSpan.traceId && envelopeSpan.spanId === headerSpan.spanId)
  ) {
    return { parent: fromHeader, links: [] };
  }
  return {
    parent: fromHeader,
    links: [{ context: envelopeSpan, attributes: { "warden.link": "envelope" } }],
  };
}

type Decoded<T> = { ok: true; event: Envelope<T> } | { ok: false; err: unknown };

async function handleOne<T>(options: ConsumeOptions<T>, msg: JsMsg, log: Logger): Promise<void> {
  const meta: MessageMeta = {
    subject: msg.subject,
    streamSeq: msg.seq,
    redeliveryCount: msg.info.deliveryCount - 1,
    headers: msg.headers,
    timestampMs: Math.floor(msg.info.timestampNanos / 1_000_000),
  };
  let decoded: Decoded<T>;
  try {
    decoded = { ok: true, event: options.decode(msg.data, meta) };
  } catch (err) {
    decoded = { ok: false, err };
  }
  const { parent, links } = consumerParent(msg.headers, decoded.ok ? decoded.event.traceparent : undefined);
  await tracer.startActiveSpan(
    `process ${options.spec.durable}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { "messaging.system": "nats", "messaging.destination.name": msg.subject },
      links,
    },
    parent,
    async (span) => {
      try {
        if (!decoded.ok) throw decoded.err;
        await options.handler(decoded.event, meta);
        msg.ack();
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        await settleFailure(options, msg, meta, err, log);
      } finally {
        span.end();
      }
    },
  );
}

async function settleFailure<T>(
  options: ConsumeOptions<T>,
  msg: JsMsg,
  meta: MessageMeta,
  err: unknown,
  log: Logger,
): Promise<void> {
  if (err instanceof InvalidMessageError) {
    if (err.scope === "envelope" && options.reportEnvelopeFailures !== true) {
      log.warn(
        { subject: msg.subject, reason: err.reason, issues: err.issues },
        "invalid envelope terminated (reported by the audit's consumer)",
      );
      msg.term(`${err.reason}: ${err.message}`.slice(0, 256));
      options.onInvalid?.(err, meta);
      return;
    }
    try {
      await reportInvalid(options.publisher, options.topology, err, {
        subject: msg.subject,
        payload: msg.data,
        stream: options.spec.stream,
        streamSeq: msg.seq,
        detectedBy: options.spec.durable,
      });
    } catch (reportErr) {
      // Could not record the rejection: keep the message so the report is not lost.
      log.warn({ err: reportErr, subject: msg.subject }, "could not report invalid message; will retry");
      msg.nak(options.retryDelayMs ?? 1_000);
      return;
    }
    log.warn({ subject: msg.subject, reason: err.reason, issues: err.issues }, "invalid message terminated");
    msg.term(`${err.reason}: ${err.message}`.slice(0, 256));
    options.onInvalid?.(err, meta);
    return;
  }
  if (err instanceof TransientError) {
    log[err.logLevel](
      { err, subject: msg.subject, redeliveryCount: meta.redeliveryCount },
      "transient failure; redelivering",
    );
    msg.nak(err.retryAfterMs);
    return;
  }
  log.error(
    { err, subject: msg.subject, redeliveryCount: meta.redeliveryCount },
    "handler failed; redelivering",
  );
  msg.nak(options.retryDelayMs ?? 1_000);
}
