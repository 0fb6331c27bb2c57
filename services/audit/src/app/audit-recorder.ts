// Use case: record a batch of events, then hand the committed records (and any checkpoint that came
// due) downstream in seq order. The write is the commit point — the caller acknowledges after
// record() returns; publishing happens after, from an outbox that retries until it succeeds.
//
// Downstream is at-least-once, made exactly-once by the stream's de-duplication (the publisher
// uses `audit-<seq>` as message id). A writer that finds its records do not follow the last seq it
// handed downstream (it just started, or it took over from another replica that crashed between
// commit and publish) first re-reads the last published seq from the stream, then publishes the gap
// from the store.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { AuditRecord } from "../domain/audit-record.ts";
import type { Checkpoint } from "../domain/checkpoint.ts";
import type { AuditWriter, IncomingAuditEvent, WriteResult } from "./audit-writer.ts";
import type { Checkpointer } from "./checkpointer.ts";
import type { AuditStore, RecordPublisher } from "./ports.ts";

export type AuditRecorderDeps = {
  writer: AuditWriter;
  checkpointer: Checkpointer;
  store: Pick<AuditStore, "stream" | "checkpoints">;
  publisher: RecordPublisher;
  logger?: Logger | undefined;
  /** Records waiting to be published before record() waits for the outbox. Default 20,000. */
  maxOutbox?: number | undefined;
  /** Records read from the store per gap-filling step. Default 500. */
  gapChunk?: number | undefined;
  /** First delay after a failed publish (doubles up to 10 s). Default 200 ms. */
  retryDelayMs?: number | undefined;
};

type OutboxItem =
  | { kind: "records"; records: readonly AuditRecord[] }
  /** Records fromSeq..toSeq, read from the store when their turn comes. */
  | { kind: "range"; fromSeq: number; toSeq: number }
  | { kind: "checkpoint"; checkpoint: Checkpoint };

export type AuditRecorder = {
  /** Records waiting to be published. */
  readonly outboxSize: number;
  /**
   * Reads the last published seq and queues whatever the store holds beyond it (a crash between
   * commit and publish) and the stored checkpoints the stream lacks, then starts publishing.
   */
  start(): Promise<void>;
  /** Writes a batch (the commit point), then queues the committed records and a due checkpoint. */
  record<E extends IncomingAuditEvent>(batch: readonly E[]): Promise<WriteResult<E>>;
  /**
   * Timer tick (CHECKPOINT_INTERVAL): checkpoints the head if this instance moved it. A tick still
   * running (the store is slow or down) makes the next ones no-ops rather than a queue.
   */
  tick(): Promise<void>;
  /** Stops after publishing what is queued, or after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
};

export function createAuditRecorder(deps: AuditRecorderDeps): AuditRecorder {
  const log = deps.logger?.child({ module: "audit-recorder" });
  const maxOutbox = deps.maxOutbox ?? 20_000;
  const outbox: OutboxItem[] = [];
  /** Records in the outbox (range items count by their size). */
  let queued = 0;
  /** Highest seq handed to the outbox (or known published); undefined until start(). */
  let handedUpTo: number | undefined;
  /** Whether this instance committed records since its last checkpoint attempt. */
  let dirty = false;
  let ticking = false;
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  let stopping = false;
  let loop: Promise<void> | undefined;

  const push = (item: OutboxItem): void => {
    outbox.push(item);
    queued += sizeOf(item);
    wake?.();
  };

  const handDownstream = async (records: readonly AuditRecord[]): Promise<void> => {
    const first = records[0];
    const last = records.at(-1);
    if (first === undefined || last === undefined) return;
    let handed = handedUpTo ?? 0;
    if (first.seq > handed + 1) {
      // Another writer extended the chain (or this one just started): what did it publish?
      try {
        handed = Math.max(handed, await deps.publisher.lastPublishedSeq());
      } catch (err) {
        log?.warn({ err }, "could not read the last published seq; publishing the whole gap");
      }
      if (first.seq > handed + 1) push({ kind: "range", fromSeq: handed + 1, toSeq: first.seq - 1 });
    }
    const fresh = records.filter((r) => r.seq > handed);
    if (fresh.length > 0) push({ kind: "records", records: fresh });
    handedUpTo = Math.max(handed, last.seq);
  };

  const checkpointIfDue = async (): Promise<void> => {
    try {
      const checkpoint = await deps.checkpointer.maybeCheckpoint(await deps.writer.head());
      if (checkpoint !== null) {
        dirty = false;
        push({ kind: "checkpoint", checkpoint });
      }
    } catch (err) {
      // The records are committed either way; the next write or tick signs the checkpoint.
      log?.warn({ err }, "could not sign or store a checkpoint; will retry");
    }
  };

  const publish = async (item: OutboxItem): Promise<void> => {
    const { publisher, store } = deps;
    switch (item.kind) {
      case "records":
        await publisher.publishRecords(item.records);
        return;
      case "checkpoint":
        await publisher.publishCheckpoint(item.checkpoint);
        return;
      case "range": {
        // One cursor for the whole gap (each query is a collection scan on FerretDB).
        const chunkSize = deps.gapChunk ?? 500;
        let chunk: AuditRecord[] = [];
        const flush = async (): Promise<void> => {
          const last = chunk.at(-1);
          if (last === undefined) return;
          await publisher.publishRecords(chunk);
          queued -= last.seq + 1 - item.fromSeq;
          item.fromSeq = last.seq + 1;
          chunk = [];
        };
        for await (const record of store.stream(item.fromSeq, item.toSeq)) {
          chunk.push(record);
          if (chunk.length >= chunkSize) await flush();
        }
        await flush();
        return;
      }
    }
  };

  const publishLoop = async (): Promise<void> => {
    const baseDelay = deps.retryDelayMs ?? 200;
    let failures = 0;
    while (!stopping) {
      const item = outbox[0];
      if (item === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      try {
        await publish(item);
        outbox.shift();
        queued -= sizeOf(item);
        failures = 0;
        if (queued < maxOutbox) drained?.();
      } catch (err) {
        failures++;
        const delay = Math.min(10_000, baseDelay * 2 ** Math.min(failures - 1, 10));
        log?.warn({ err, failures, delayMs: delay }, "publishing to the audit stream failed; retrying");
        await sleep(delay);
      }
    }
  };

  return {
    get outboxSize(): number {
      return queued;
    },

    async start() {
      const published = await deps.publisher.lastPublishedSeq();
      // Through the writer, which caches it for its first write (on FerretDB each load is a scan).
      const head = (await deps.writer.head()).seq;
      handedUpTo = published;
      if (head > published) {
        log?.info(
          { fromSeq: published + 1, toSeq: head },
          "publishing records committed but not yet published",
        );
        push({ kind: "range", fromSeq: published + 1, toSeq: head });
        handedUpTo = head;
      }
      // Checkpoints signed and stored but lost from the outbox by a crash: after the records.
      let checkpointed = await deps.publisher.lastPublishedCheckpointSeq();
      for (const checkpoint of await deps.store.checkpoints({ fromSeq: checkpointed + 1 })) {
        push({ kind: "checkpoint", checkpoint });
        checkpointed = Math.max(checkpointed, checkpoint.seq);
      }
      // A predecessor that died between its last checkpoint and the next one left the head unsigned;
      // this instance's timer signs it even if no event is left for it to record.
      dirty = head > checkpointed;
      loop = publishLoop();
    },

    async record(batch) {
      while (queued >= maxOutbox && !stopping) {
        await new Promise<void>((resolve) => (drained = resolve));
      }
      const result = await deps.writer.write(batch);
      const records = result.committed.map((c) => c.record);
      if (records.length > 0) {
        dirty = true;
        await handDownstream(records);
        await checkpointIfDue();
      }
      return result;
    },

    async tick() {
      if (!dirty || ticking) return;
      ticking = true;
      try {
        await checkpointIfDue();
      } finally {
        ticking = false;
      }
    },

    async stop(graceMs = 5_000) {
      const deadline = Date.now() + graceMs;
      while (outbox.length > 0 && Date.now() < deadline) await sleep(20);
      stopping = true;
      wake?.();
      drained?.();
      await loop;
      if (outbox.length > 0) {
        log?.warn({ queued }, "stopped with records unpublished; the next start publishes them");
      }
    },
  };
}

function sizeOf(item: OutboxItem): number {
  switch (item.kind) {
    case "records":
      return item.records.length;
    case "range":
      return Math.max(0, item.toSeq - item.fromSeq + 1);
    case "checkpoint":
      return 0;
  }
}
