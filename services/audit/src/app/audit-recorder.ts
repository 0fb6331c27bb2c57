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
import type { AuditStore } from "./audit-store.ts";
import type { AuditWriter, IncomingAuditEvent, WriteResult } from "./audit-writer.ts";
import type { Checkpointer } from "./checkpointer.ts";
import type { RecordPublisher } from "./ports.ts";

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

export class AuditRecorder {
  readonly #deps: AuditRecorderDeps;
  readonly #log: Logger | undefined;
  readonly #maxOutbox: number;
  readonly #outbox: OutboxItem[] = [];
  /** Records in the outbox (range items count by their size). */
  #queued = 0;
  /** Highest seq handed to the outbox (or known published); undefined until start(). */
  #handedUpTo: number | undefined;
  /** Whether this instance committed records since its last checkpoint attempt. */
  #dirty = false;
  #ticking = false;
  #wake: (() => void) | undefined;
  #drained: (() => void) | undefined;
  #stopping = false;
  #loop: Promise<void> | undefined;

  constructor(deps: AuditRecorderDeps) {
    this.#deps = deps;
    this.#log = deps.logger?.child({ module: "audit-recorder" });
    this.#maxOutbox = deps.maxOutbox ?? 20_000;
  }

  /** Records waiting to be published. */
  get outboxSize(): number {
    return this.#queued;
  }

  /**
   * Reads the last published seq and queues whatever the store holds beyond it (a crash between
   * commit and publish) and the stored checkpoints the stream lacks, then starts publishing.
   */
  async start(): Promise<void> {
    const published = await this.#deps.publisher.lastPublishedSeq();
    // Through the writer, which caches it for its first write (on FerretDB each load is a scan).
    const head = (await this.#deps.writer.head()).seq;
    this.#handedUpTo = published;
    if (head > published) {
      this.#log?.info(
        { fromSeq: published + 1, toSeq: head },
        "publishing records committed but not yet published",
      );
      this.#push({ kind: "range", fromSeq: published + 1, toSeq: head });
      this.#handedUpTo = head;
    }
    // Checkpoints signed and stored but lost from the outbox by a crash: after the records.
    let checkpointed = await this.#deps.publisher.lastPublishedCheckpointSeq();
    for (const checkpoint of await this.#deps.store.checkpoints({ fromSeq: checkpointed + 1 })) {
      this.#push({ kind: "checkpoint", checkpoint });
      checkpointed = Math.max(checkpointed, checkpoint.seq);
    }
    // A predecessor that died between its last checkpoint and the next one left the head unsigned;
    // this instance's timer signs it even if no event is left for it to record.
    this.#dirty = head > checkpointed;
    this.#loop = this.#publishLoop();
  }

  /** Writes a batch (the commit point), then queues the committed records and a due checkpoint. */
  async record<E extends IncomingAuditEvent>(batch: readonly E[]): Promise<WriteResult<E>> {
    while (this.#queued >= this.#maxOutbox && !this.#stopping) {
      await new Promise<void>((resolve) => (this.#drained = resolve));
    }
    const result = await this.#deps.writer.write(batch);
    const records = result.committed.map((c) => c.record);
    if (records.length > 0) {
      this.#dirty = true;
      await this.#handDownstream(records);
      await this.#checkpointIfDue();
    }
    return result;
  }

  /**
   * Timer tick (CHECKPOINT_INTERVAL): checkpoints the head if this instance moved it. A tick still
   * running (the store is slow or down) makes the next ones no-ops rather than a queue.
   */
  async tick(): Promise<void> {
    if (!this.#dirty || this.#ticking) return;
    this.#ticking = true;
    try {
      await this.#checkpointIfDue();
    } finally {
      this.#ticking = false;
    }
  }

  /** Stops after publishing what is queued, or after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.#outbox.length > 0 && Date.now() < deadline) await sleep(20);
    this.#stopping = true;
    this.#wake?.();
    this.#drained?.();
    await this.#loop;
    if (this.#outbox.length > 0) {
      this.#log?.warn(
        { queued: this.#queued },
        "stopped with records unpublished; the next start publishes them",
      );
    }
  }

  async #handDownstream(records: readonly AuditRecord[]): Promise<void> {
    const first = records[0];
    const last = records.at(-1);
    if (first === undefined || last === undefined) return;
    let handed = this.#handedUpTo ?? 0;
    if (first.seq > handed + 1) {
      // Another writer extended the chain (or this one just started): what did it publish?
      try {
        handed = Math.max(handed, await this.#deps.publisher.lastPublishedSeq());
      } catch (err) {
        this.#log?.warn({ err }, "could not read the last published seq; publishing the whole gap");
      }
      if (first.seq > handed + 1) this.#push({ kind: "range", fromSeq: handed + 1, toSeq: first.seq - 1 });
    }
    const fresh = records.filter((r) => r.seq > handed);
    if (fresh.length > 0) this.#push({ kind: "records", records: fresh });
    this.#handedUpTo = Math.max(handed, last.seq);
  }

  async #checkpointIfDue(): Promise<void> {
    try {
      const checkpoint = await this.#deps.checkpointer.maybeCheckpoint(await this.#deps.writer.head());
      if (checkpoint !== null) {
        this.#dirty = false;
        this.#push({ kind: "checkpoint", checkpoint });
      }
    } catch (err) {
      // The records are committed either way; the next write or tick signs the checkpoint.
      this.#log?.warn({ err }, "could not sign or store a checkpoint; will retry");
    }
  }

  #push(item: OutboxItem): void {
    this.#outbox.push(item);
    this.#queued += sizeOf(item);
    this.#wake?.();
  }

  async #publishLoop(): Promise<void> {
    const baseDelay = this.#deps.retryDelayMs ?? 200;
    let failures = 0;
    while (!this.#stopping) {
      const item = this.#outbox[0];
      if (item === undefined) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      try {
        await this.#publish(item);
        this.#outbox.shift();
        this.#queued -= sizeOf(item);
        failures = 0;
        if (this.#queued < this.#maxOutbox) this.#drained?.();
      } catch (err) {
        failures++;
        const delay = Math.min(10_000, baseDelay * 2 ** Math.min(failures - 1, 10));
        this.#log?.warn({ err, failures, delayMs: delay }, "publishing to the audit stream failed; retrying");
        await sleep(delay);
      }
    }
  }

  async #publish(item: OutboxItem): Promise<void> {
    const { publisher, store } = this.#deps;
    switch (item.kind) {
      case "records":
        await publisher.publishRecords(item.records);
        return;
      case "checkpoint":
        await publisher.publishCheckpoint(item.checkpoint);
        return;
      case "range": {
        // One cursor for the whole gap (each query is a collection scan on FerretDB).
        const chunkSize = this.#deps.gapChunk ?? 500;
        let chunk: AuditRecord[] = [];
        const flush = async (): Promise<void> => {
          const last = chunk.at(-1);
          if (last === undefined) return;
          await publisher.publishRecords(chunk);
          this.#queued -= last.seq + 1 - item.fromSeq;
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
  }
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
