// In-memory AuditStore with the Mongo adapter's semantics (unique eventId, unique seq, ordered
// insert stopping at the first refusal), for unit tests and local runs.
import type {
  AppendResult,
  AuditQueryFilter,
  AuditStore,
  Page,
  PageRequest,
  SeqRange,
} from "../../app/ports.ts";
import { MAX_PAGE_SIZE } from "../../app/ports.ts";
import { matchesFilter } from "../../app/matches-filter.ts";
import type { AuditRecord } from "../../domain/audit-record.ts";
import type { Checkpoint } from "../../domain/checkpoint.ts";
import { assertChainSegment, GENESIS_HASH } from "../../domain/hash-chain.ts";

export type InMemoryAuditStore = AuditStore & {
  /**
   * The stored records themselves, for tests that tamper with "the database" directly. Changing
   * them bypasses every rule of the store, as a database administrator could.
   */
  unsafeRecords(): AuditRecord[];
  /** Stored checkpoints, for tests that tamper with them. */
  unsafeCheckpoints(): Map<number, Checkpoint>;
};

export function createInMemoryAuditStore(): InMemoryAuditStore {
  /** Sorted by seq. Stored copies: callers never share objects with the store. */
  const records: AuditRecord[] = [];
  const byEventId = new Map<string, AuditRecord>();
  const bySeq = new Map<number, AuditRecord>();
  const checkpoints = new Map<number, Checkpoint>();
  const sorted = (): AuditRecord[] => [...records].sort((a, b) => a.seq - b.seq);

  return {
    unsafeRecords: () => records,
    unsafeCheckpoints: () => checkpoints,

    lastRecord() {
      const last = records.reduce<AuditRecord | null>(
        (max, r) => (max === null || r.seq > max.seq ? r : max),
        null,
      );
      return Promise.resolve(last === null ? null : structuredClone(last));
    },

    existingEventIds(eventIds) {
      return Promise.resolve(new Set(eventIds.filter((id) => byEventId.has(id))));
    },

    recentEvents(limit) {
      return Promise.resolve(
        limit > 0
          ? sorted()
              .slice(-limit)
              .map((r) => ({ eventId: r.eventId, seq: r.seq, hash: r.hash }))
          : [],
      );
    },

    appendBatch(batch): Promise<AppendResult> {
      assertChainSegment(batch);
      const first = batch[0];
      if (first === undefined) return Promise.resolve({ written: 0, stoppedBy: null });
      const before = first.seq === 1 ? GENESIS_HASH : bySeq.get(first.seq - 1)?.hash;
      if (before !== first.prevHash) {
        return Promise.resolve({ written: 0, stoppedBy: { reason: "stale_head", index: 0, seq: first.seq } });
      }
      for (const [index, record] of batch.entries()) {
        if (byEventId.has(record.eventId)) {
          return Promise.resolve({
            written: index,
            stoppedBy: { reason: "duplicate_event", index, eventId: record.eventId },
          });
        }
        if (bySeq.has(record.seq)) {
          return Promise.resolve({
            written: index,
            stoppedBy: { reason: "seq_taken", index, seq: record.seq },
          });
        }
        const stored = structuredClone(record);
        records.push(stored);
        byEventId.set(stored.eventId, stored);
        bySeq.set(stored.seq, stored);
      }
      return Promise.resolve({ written: batch.length, stoppedBy: null });
    },

    range(fromSeq, toSeq, limit = Number.POSITIVE_INFINITY) {
      const found = sorted()
        .filter((r) => r.seq >= fromSeq && r.seq <= toSeq)
        .slice(0, limit);
      return Promise.resolve(structuredClone(found));
    },

    async *stream(fromSeq, toSeq) {
      for (const record of sorted()) {
        if (record.seq >= fromSeq && record.seq <= toSeq)
          yield await Promise.resolve(structuredClone(record));
      }
    },

    query(filter: AuditQueryFilter, page: PageRequest): Promise<Page<AuditRecord>> {
      const size = Math.max(1, Math.min(MAX_PAGE_SIZE, page.size));
      const after = page.afterSeq ?? 0;
      const matching = sorted().filter((r) => r.seq > after && matchesFilter(r, filter));
      const items = structuredClone(matching.slice(0, size));
      const last = items.at(-1);
      return Promise.resolve({
        items,
        nextAfterSeq: matching.length > size && last !== undefined ? last.seq : null,
      });
    },

    async *find(filter, afterSeq = 0) {
      for (const record of sorted()) {
        if (record.seq > afterSeq && matchesFilter(record, filter))
          yield await Promise.resolve(structuredClone(record));
      }
    },

    saveCheckpoint(checkpoint) {
      if (!checkpoints.has(checkpoint.seq)) checkpoints.set(checkpoint.seq, structuredClone(checkpoint));
      return Promise.resolve();
    },

    checkpoints(range: SeqRange) {
      const to = range.toSeq ?? Number.POSITIVE_INFINITY;
      const found = [...checkpoints.values()]
        .filter((c) => c.seq >= range.fromSeq && c.seq <= to)
        .sort((a, b) => a.seq - b.seq);
      return Promise.resolve(structuredClone(found));
    },

    latestCheckpoint() {
      const all = [...checkpoints.values()].sort((a, b) => b.seq - a.seq);
      return Promise.resolve(all[0] === undefined ? null : structuredClone(all[0]));
    },
  };
}
