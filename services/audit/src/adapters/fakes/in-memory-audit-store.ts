// In-memory AuditStore with the Mongo adapter's semantics (unique eventId, unique seq, ordered
// insert stopping at the first refusal), for unit tests and local runs.
import type {
  AppendResult,
  AuditQueryFilter,
  AuditStore,
  Page,
  PageRequest,
  RecentEvent,
  SeqRange,
} from "../../app/audit-store.ts";
import { MAX_PAGE_SIZE, matchesFilter } from "../../app/audit-store.ts";
import type { AuditRecord } from "../../domain/audit-record.ts";
import type { Checkpoint } from "../../domain/checkpoint.ts";
import { assertChainSegment, GENESIS_HASH } from "../../domain/hash-chain.ts";

export class InMemoryAuditStore implements AuditStore {
  /** Sorted by seq. Stored copies: callers never share objects with the store. */
  readonly #records: AuditRecord[] = [];
  readonly #byEventId = new Map<string, AuditRecord>();
  readonly #bySeq = new Map<number, AuditRecord>();
  readonly #checkpoints = new Map<number, Checkpoint>();

  /**
   * The stored records themselves, for tests that tamper with "the database" directly. Changing
   * them bypasses every rule of the store, as a database administrator could.
   */
  unsafeRecords(): AuditRecord[] {
    return this.#records;
  }

  /** Stored checkpoints, for tests that tamper with them. */
  unsafeCheckpoints(): Map<number, Checkpoint> {
    return this.#checkpoints;
  }

  lastRecord(): Promise<AuditRecord | null> {
    const last = this.#records.reduce<AuditRecord | null>(
      (max, r) => (max === null || r.seq > max.seq ? r : max),
      null,
    );
    return Promise.resolve(last === null ? null : structuredClone(last));
  }

  existingEventIds(eventIds: readonly string[]): Promise<ReadonlySet<string>> {
    return Promise.resolve(new Set(eventIds.filter((id) => this.#byEventId.has(id))));
  }

  recentEvents(limit: number): Promise<RecentEvent[]> {
    return Promise.resolve(
      limit > 0
        ? this.#sorted()
            .slice(-limit)
            .map((r) => ({ eventId: r.eventId, seq: r.seq, hash: r.hash }))
        : [],
    );
  }

  appendBatch(records: readonly AuditRecord[]): Promise<AppendResult> {
    assertChainSegment(records);
    const first = records[0];
    if (first === undefined) return Promise.resolve({ written: 0, stoppedBy: null });
    const before = first.seq === 1 ? GENESIS_HASH : this.#bySeq.get(first.seq - 1)?.hash;
    if (before !== first.prevHash) {
      return Promise.resolve({ written: 0, stoppedBy: { reason: "stale_head", index: 0, seq: first.seq } });
    }
    for (const [index, record] of records.entries()) {
      if (this.#byEventId.has(record.eventId)) {
        return Promise.resolve({
          written: index,
          stoppedBy: { reason: "duplicate_event", index, eventId: record.eventId },
        });
      }
      if (this.#bySeq.has(record.seq)) {
        return Promise.resolve({
          written: index,
          stoppedBy: { reason: "seq_taken", index, seq: record.seq },
        });
      }
      const stored = structuredClone(record);
      this.#records.push(stored);
      this.#byEventId.set(stored.eventId, stored);
      this.#bySeq.set(stored.seq, stored);
    }
    return Promise.resolve({ written: records.length, stoppedBy: null });
  }

  #sorted(): AuditRecord[] {
    return [...this.#records].sort((a, b) => a.seq - b.seq);
  }

  range(fromSeq: number, toSeq: number, limit = Number.POSITIVE_INFINITY): Promise<AuditRecord[]> {
    const found = this.#sorted()
      .filter((r) => r.seq >= fromSeq && r.seq <= toSeq)
      .slice(0, limit);
    return Promise.resolve(structuredClone(found));
  }

  async *stream(fromSeq: number, toSeq: number): AsyncIterable<AuditRecord> {
    for (const record of this.#sorted()) {
      if (record.seq >= fromSeq && record.seq <= toSeq) yield await Promise.resolve(structuredClone(record));
    }
  }

  query(filter: AuditQueryFilter, page: PageRequest): Promise<Page<AuditRecord>> {
    const size = Math.max(1, Math.min(MAX_PAGE_SIZE, page.size));
    const after = page.afterSeq ?? 0;
    const matching = this.#sorted().filter((r) => r.seq > after && matchesFilter(r, filter));
    const items = structuredClone(matching.slice(0, size));
    const last = items.at(-1);
    return Promise.resolve({
      items,
      nextAfterSeq: matching.length > size && last !== undefined ? last.seq : null,
    });
  }

  async *find(filter: AuditQueryFilter, afterSeq = 0): AsyncIterable<AuditRecord> {
    for (const record of this.#sorted()) {
      if (record.seq > afterSeq && matchesFilter(record, filter))
        yield await Promise.resolve(structuredClone(record));
    }
  }

  saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    if (!this.#checkpoints.has(checkpoint.seq))
      this.#checkpoints.set(checkpoint.seq, structuredClone(checkpoint));
    return Promise.resolve();
  }

  checkpoints(range: SeqRange): Promise<Checkpoint[]> {
    const to = range.toSeq ?? Number.POSITIVE_INFINITY;
    const found = [...this.#checkpoints.values()]
      .filter((c) => c.seq >= range.fromSeq && c.seq <= to)
      .sort((a, b) => a.seq - b.seq);
    return Promise.resolve(structuredClone(found));
  }

  latestCheckpoint(): Promise<Checkpoint | null> {
    const all = [...this.#checkpoints.values()].sort((a, b) => b.seq - a.seq);
    return Promise.resolve(all[0] === undefined ? null : structuredClone(all[0]));
  }
}
