// Use case: record a batch of incoming events. Dedupes by event id, gives the new ones gapless
// seqs after the stored head, chains and inserts them with one ordered insert, and reports which
// events are committed — the caller acknowledges exactly those (and the duplicates) after this
// returns, never before.
//
// Dedupe, cheapest first: (1) within the batch; (2) a window of recently committed event ids,
// primed from the store's tail when the writer (re)starts — after a crash, redeliveries are the
// un-acked tail of the chain; (3) the store itself: `_id` = eventId is unique, so an older
// redelivery stops the insert with duplicate_event and is skipped, never re-chained (the rest of the
// batch is then looked up at once: after a write that failed half-way, many follow). No per-batch
// query by event id otherwise: on FerretDB only a single-`_id` lookup is indexed, an `$in` scans
// the collection.
import type { Logger } from "pino";
import type { AuditRecord, AuditRecordDraft } from "../domain/audit-record.ts";
import { ChainConflictError } from "../domain/errors.ts";
import type { FieldEncryptor } from "../domain/field-encryption.ts";
import { chainRecords, EMPTY_CHAIN, headOf, type ChainHead } from "../domain/hash-chain.ts";
import { recordFromEvent } from "../domain/record-from-event.ts";
import type { AuditStore } from "./ports.ts";

export type IncomingAuditEvent = {
  /** Subject the event arrived on. */
  readonly subject: string;
  /** The decoded envelope (any JSON: malformed envelopes are recorded too). */
  readonly envelope: unknown;
  /** Id to use if the envelope has none, e.g. "WARDEN_EVENTS:<stream seq>". */
  readonly fallbackId?: string | undefined;
};

export type WriteResult<E> = {
  /** Events recorded by this call, with their records, in seq order. */
  committed: { event: E; record: AuditRecord }[];
  /** Events already recorded (redeliveries, or repeated within the batch). */
  duplicates: { event: E; eventId: string }[];
  /** committed and duplicates, in input order: acknowledge these. */
  toAck: E[];
  /** The chain head after the write. */
  head: ChainHead;
};

export type AuditWriterDeps = {
  store: AuditStore;
  encryptor?: FieldEncryptor | undefined;
  clock?: (() => Date) | undefined;
  logger?: Logger | undefined;
  /** Times another writer may take the head from under one write() before it gives up. Default 5. */
  maxConflictRetries?: number | undefined;
  /**
   * Recently committed event ids remembered for dedupe (primed from the store on start). Make it
   * larger than the consumer's max_ack_pending. Default 50,000.
   */
  dedupeWindow?: number | undefined;
};

type Pending<E> = { event: E; draft: AuditRecordDraft; index: number };

/** Insertion-ordered set that forgets its oldest entries beyond a capacity. */
type RecentIds = { has(id: string): boolean; add(id: string): void };

function createRecentIds(capacity: number): RecentIds {
  const ids = new Set<string>();
  return {
    has: (id) => ids.has(id),
    add(id) {
      ids.add(id);
      if (ids.size > capacity) {
        const oldest = ids.values().next();
        if (oldest.done !== true) ids.delete(oldest.value);
      }
    },
  };
}

export type AuditWriter = {
  /**
   * The head this writer will extend (loaded from the store when not cached). Serialised with
   * write(): a load started before a write finished could otherwise answer, and cache, an older head.
   */
  head(): Promise<ChainHead>;
  write<E extends IncomingAuditEvent>(batch: readonly E[]): Promise<WriteResult<E>>;
};

/**
 * Writer of one chain. Calls to write() are serialised within the process; across processes the
 * store's unique seq fences concurrent writers (docs/adr/0003-audit-single-writer-fencing.md).
 * The head is cached between writes and reloaded from the store after any failure, so a restarted
 * or fenced writer resumes from the last committed seq.
 */
export function createAuditWriter(deps: AuditWriterDeps): AuditWriter {
  const store = deps.store;
  const encryptor = deps.encryptor;
  const clock = deps.clock ?? (() => new Date());
  const log = deps.logger?.child({ module: "audit-writer" });
  const maxConflictRetries = deps.maxConflictRetries ?? 5;
  const windowSize = deps.dedupeWindow ?? 50_000;
  let recentIds: RecentIds | undefined;
  let cachedHead: ChainHead | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const serialised = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };

  const currentHead = async (): Promise<ChainHead> => {
    if (cachedHead === undefined) {
      if (recentIds === undefined) {
        await loadTail();
      } else {
        const loaded = headOf(await store.lastRecord());
        cachedHead ??= loaded;
      }
    }
    return cachedHead ?? EMPTY_CHAIN;
  };

  /** Head and dedupe window from one read of the chain's tail (a restarted writer's first step). */
  const loadTail = async (): Promise<void> => {
    const tail = await store.recentEvents(Math.max(1, windowSize));
    const recent = createRecentIds(windowSize);
    for (const e of tail) recent.add(e.eventId);
    recentIds = recent;
    const last = tail.at(-1);
    cachedHead ??= last === undefined ? EMPTY_CHAIN : { seq: last.seq, hash: last.hash };
  };

  const getRecentIds = async (): Promise<RecentIds> => {
    if (recentIds === undefined) await loadTail();
    return recentIds ?? createRecentIds(windowSize);
  };

  const write = async <E extends IncomingAuditEvent>(batch: readonly E[]): Promise<WriteResult<E>> => {
    const receivedAt = clock();
    const recent = await getRecentIds();
    const committed: { event: E; record: AuditRecord; index: number }[] = [];
    const duplicates: { event: E; eventId: string; index: number }[] = [];

    let pending: Pending<E>[] = [];
    const seen = new Set<string>();
    batch.forEach((event, index) => {
      const draft = recordFromEvent(event.envelope, event.subject, {
        receivedAt,
        fallbackId: event.fallbackId,
      });
      if (seen.has(draft.eventId) || recent.has(draft.eventId)) {
        duplicates.push({ event, eventId: draft.eventId, index });
        return;
      }
      seen.add(draft.eventId);
      pending.push({ event, index, draft: encryptor ? encryptor.encrypt(draft) : draft });
    });

    let conflicts = 0;
    try {
      while (pending.length > 0) {
        const records = chainRecords(
          pending.map((p) => p.draft),
          await currentHead(),
          clock(),
        );
        const result = await store.appendBatch(records);
        records.slice(0, result.written).forEach((record, i) => {
          const p = pending[i];
          if (p !== undefined) committed.push({ event: p.event, record, index: p.index });
          recent.add(record.eventId);
          cachedHead = headOf(record);
        });

        let rest = pending.slice(result.written);
        const stop = result.stoppedBy;
        if (stop?.reason === "duplicate_event") {
          // Recorded earlier, beyond the window: skipped, never re-chained.
          const dup = rest[0];
          if (dup !== undefined)
            duplicates.push({ event: dup.event, eventId: dup.draft.eventId, index: dup.index });
          rest = rest.slice(1);
          // Usually more of them follow (the redelivery of a write that failed after part of it
          // landed): look the rest up at once rather than meeting them one insert at a time.
          if (rest.length > 0) {
            const stored = await store.existingEventIds(rest.map((p) => p.draft.eventId));
            for (const p of rest) {
              if (stored.has(p.draft.eventId)) {
                duplicates.push({ event: p.event, eventId: p.draft.eventId, index: p.index });
                recent.add(p.draft.eventId);
              }
            }
            rest = rest.filter((p) => !stored.has(p.draft.eventId));
          }
        } else if (stop !== null) {
          cachedHead = undefined;
          conflicts++;
          log?.warn({ stop, conflicts }, "chain head moved under this writer; reloading it");
          if (conflicts > maxConflictRetries) {
            throw new ChainConflictError(
              `another writer kept extending the chain (${stop.reason} at seq ${stop.seq}, ${conflicts} times)`,
            );
          }
        }
        pending = rest;
      }
    } catch (err) {
      // Unknown how much of the last insert landed: reload the head before the next write.
      cachedHead = undefined;
      throw err;
    }

    const toAck = [...committed, ...duplicates].sort((a, b) => a.index - b.index).map((x) => x.event);
    return {
      committed: committed.map(({ event, record }) => ({ event, record })),
      duplicates: duplicates.map(({ event, eventId }) => ({ event, eventId })),
      toAck,
      head: await currentHead(),
    };
  };

  return {
    head: () => serialised(currentHead),
    write: (batch) => serialised(() => write(batch)),
  };
}
