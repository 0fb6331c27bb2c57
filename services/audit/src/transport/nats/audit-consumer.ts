// Every warden.> event (including warden.invalid.>) → one audit record. A durable pull consumer on
// WARDEN_EVENTS in a pinned_client priority group: the server delivers to one replica at a time
// and pins another when it stops pulling (docs/adr/0003-audit-single-writer-fencing.md).
//
// Group commit: messages arriving while a batch is being written queue up and form the next batch
// (up to batchSize), so batches are small when idle (low lag) and large under load (throughput).
// Each batch is written in delivery order; a message is acknowledged only after its record is
// committed (duplicates too). A failed write naks everything held with a growing delay and the loop
// goes on: a store outage becomes a backlog in the stream, never a crash. A message whose envelope
// does not decode is reported as warden.invalid.<reason> (which is then recorded) and terminated:
// this consumer reads every subject, so it is the one reporter of envelope failures (other
// consumers terminate them unreported; @warden/messaging invalid.ts).
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream } from "@nats-io/jetstream";
import type { ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  decodeEnvelope,
  ensureDurable,
  InvalidMessageError,
  reportInvalid,
  type Envelope,
  type EventPublisher,
  type Topology,
} from "@warden/messaging";
import type { Logger } from "pino";
import type { AuditRecorder } from "../../app/audit-recorder.ts";
import type { IncomingAuditEvent } from "../../app/audit-writer.ts";
import type { AuditMetrics } from "../../adapters/metrics.ts";

export const AUDIT_DURABLE = "audit";
export const AUDIT_PRIORITY_GROUP = "audit";

export type AuditConsumerOptions = {
  nc: NatsConnection;
  topology: Topology;
  recorder: AuditRecorder;
  /** Publishes warden.invalid.* reports. */
  publisher: EventPublisher;
  log: Logger;
  metrics?: AuditMetrics | undefined;
  /** Most events per write. */
  batchSize: number;
  maxAckPending: number;
  ackWaitMs: number;
  /** priority_timeout of the pinned_client group. */
  pinTimeoutMs: number;
  /** First redelivery delay after a failed write; doubles per consecutive failure, up to 10 s. */
  retryDelayMs: number;
};

export type RunningAuditConsumer = {
  /** Whether the loop is running (for /healthz). */
  running(): boolean;
  /** Stops pulling, finishes the batch in flight, releases what is held (nak without delay). */
  stop(): Promise<void>;
};

type Held = IncomingAuditEvent & {
  msg: JsMsg;
  envelope: Envelope<unknown>;
  /**
   * When the event entered WARDEN_EVENTS, by the stream's own clock (ms). Commit lag is measured
   * from it, never from the envelope's `time`, which the sender chose: a replayed or back-dated
   * envelope must not move the histogram.
   */
  storedAtMs: number;
};

const MAX_RETRY_DELAY_MS = 10_000;
/** Consecutive failed writes after which the outage is logged at ERROR (someone should look). */
const PAGE_AFTER_FAILURES = 20;

export async function consumeAllEvents(options: AuditConsumerOptions): Promise<RunningAuditConsumer> {
  const { nc, topology, log: parentLog } = options;
  const log = parentLog.child({ module: "audit-consumer", consumer: AUDIT_DURABLE });
  await ensureDurable(nc, {
    stream: topology.streams.events,
    durable: AUDIT_DURABLE,
    filterSubjects: [topology.subjects.allEvents],
    ackWaitMs: options.ackWaitMs,
    maxAckPending: options.maxAckPending,
    priorityGroup: { name: AUDIT_PRIORITY_GROUP, policy: "pinned_client", timeoutMs: options.pinTimeoutMs },
  });
  const consumer = await jetstream(nc).consumers.get(topology.streams.events, AUDIT_DURABLE);

  const queue: JsMsg[] = [];
  let wake: (() => void) | undefined;
  let stopping = false;
  const stopped = new AbortController();
  const messages: ConsumerMessages = await consumer.consume({
    max_messages: Math.min(options.maxAckPending, Math.max(options.batchSize * 2, 100)),
    // Pull requests renewed well within the pin timeout, so a busy pinned replica keeps its pin.
    expires: Math.min(30_000, Math.max(1_000, Math.floor(options.pinTimeoutMs / 2))),
    group: AUDIT_PRIORITY_GROUP,
    callback: (msg) => {
      queue.push(msg);
      wake?.();
    },
  });
  void (async () => {
    for await (const status of messages.status()) {
      if (status.type === "consumer_pinned" || status.type === "consumer_unpinned") {
        log.info({ status: status.type }, "priority group pin changed");
      }
    }
  })().catch(() => undefined);

  let failures = 0;

  async function handleInvalid(msg: JsMsg, err: InvalidMessageError): Promise<void> {
    try {
      await reportInvalid(options.publisher, topology, err, {
        subject: msg.subject,
        payload: msg.data,
        stream: topology.streams.events,
        streamSeq: msg.seq,
        detectedBy: AUDIT_DURABLE,
      });
    } catch (reportErr) {
      log.warn({ err: reportErr, subject: msg.subject }, "could not report an invalid message; will retry");
      msg.nak(options.retryDelayMs);
      return;
    }
    options.metrics?.invalid.inc();
    log.warn(
      { subject: msg.subject, reason: err.reason, issues: err.issues },
      "invalid envelope reported and terminated",
    );
    msg.term(`${err.reason}: ${err.message}`.slice(0, 256));
  }

  async function writeBatch(batch: JsMsg[]): Promise<void> {
    const held: Held[] = [];
    for (const msg of batch) {
      try {
        const envelope = decodeEnvelope(msg.data);
        held.push({
          msg,
          envelope,
          subject: msg.subject,
          fallbackId: `${topology.streams.events}:${msg.seq}`,
          storedAtMs: msg.time.getTime(),
        });
      } catch (err) {
        if (err instanceof InvalidMessageError) await handleInvalid(msg, err);
        else msg.nak(options.retryDelayMs);
      }
    }
    if (held.length === 0) return;

    const started = performance.now();
    // A write slower than the ack wait (a store failing over) must not have its messages, or
    // those queued behind it, redelivered meanwhile: tell the server they are being worked on.
    const keepAlive = setInterval(
      () => {
        for (const event of held) event.msg.working();
        for (const msg of queue) msg.working();
      },
      Math.max(1_000, options.ackWaitMs / 3),
    );
    try {
      const result = await options.recorder.record(held);
      for (const event of result.toAck) event.msg.ack();
      failures = 0;
      log.debug(
        {
          events: held.length,
          committed: result.committed.length,
          duplicates: result.duplicates.length,
          head: result.head.seq,
          ms: Math.round(performance.now() - started),
        },
        "batch recorded",
      );
      const metrics = options.metrics;
      if (metrics !== undefined) {
        metrics.batchSeconds.observe((performance.now() - started) / 1000);
        metrics.batchSize.observe(held.length);
        metrics.committed.inc(result.committed.length);
        metrics.duplicates.inc(result.duplicates.length);
        metrics.headSeq.set(result.head.seq);
        metrics.outbox.set(options.recorder.outboxSize);
        const now = Date.now();
        for (const { event } of result.committed) {
          metrics.commitLagSeconds.observe(Math.max(0, now - event.storedAtMs) / 1000);
        }
      }
    } catch (err) {
      failures++;
      const delay = Math.min(MAX_RETRY_DELAY_MS, options.retryDelayMs * 2 ** Math.min(failures - 1, 10));
      options.metrics?.storeFailures.inc();
      const fields = { err, events: held.length, failures, redeliveryDelayMs: delay };
      if (failures === PAGE_AFTER_FAILURES)
        log.error(fields, "audit store keeps failing; events are backing up");
      else log.warn(fields, "could not record a batch; redelivering it later");
      // Release this batch and everything else held, then pause: the store is likely down.
      for (const event of held) event.msg.nak(delay);
      for (const msg of queue.splice(0)) msg.nak(delay);
      await sleep(delay, undefined, { signal: stopped.signal }).catch(() => undefined);
    } finally {
      clearInterval(keepAlive);
    }
  }

  const loop = (async () => {
    while (!stopping) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const batch = queue.splice(0, options.batchSize);
      try {
        await writeBatch(batch);
      } catch (err) {
        // writeBatch handles its own failures; anything here is a bug: release and go on.
        log.error({ err }, "unexpected failure in the audit consumer loop");
        for (const msg of batch) msg.nak(options.retryDelayMs);
      }
    }
  })();

  return {
    running: () => !stopping,
    async stop() {
      if (stopping) return;
      stopping = true;
      stopped.abort();
      await messages.close().catch(() => undefined);
      wake?.();
      await loop;
      for (const msg of queue.splice(0)) msg.nak();
    },
  };
}
