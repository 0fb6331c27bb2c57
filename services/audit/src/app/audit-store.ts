// The store port of the audit trail: append-only, insert and find only. One real adapter
// (adapters/mongo) and one in-memory fake (adapters/fakes) implement it with the same semantics.
import type { AuditRecord } from "../domain/audit-record.ts";
import type { Checkpoint } from "../domain/checkpoint.ts";

/**
 * Why an append stopped before its last record. Records before `index` are committed; the record
 * at `index` and after are not.
 * - duplicate_event: records[index].eventId is already stored (a redelivery); skip that event and
 *   re-chain the rest: it is never given a second seq.
 * - seq_taken: records[index].seq is already used: another writer extended the chain (fencing).
 * - stale_head: records[0] does not extend the stored chain (the record at seq - 1 is absent or
 *   has another hash): inserting would leave a gap or link to nothing. Never happens to a writer
 *   whose head came from the store or from its own committed appends (records are immutable).
 */
export type AppendStop =
  | { reason: "duplicate_event"; index: number; eventId: string }
  | { reason: "seq_taken"; index: number; seq: number }
  | { reason: "stale_head"; index: 0; seq: number };

export type AppendResult = {
  /** How many records, from the first, are committed (durably: write concern majority). */
  written: number;
  /** Null when every record was written, or when the store stopped early without a known cause. */
  stoppedBy: AppendStop | null;
};

export type AuditQueryFilter = {
  actorId?: string | undefined;
  /** Actor team (team-lead scope). */
  team?: string | undefined;
  agentId?: string | undefined;
  action?: string | undefined;
  actionId?: string | undefined;
  /** Exact types or prefixes with a trailing "*", e.g. "warden.decision.*". Any of them matches. */
  types?: readonly string[] | undefined;
  environment?: string | undefined;
  /** Event time range [timeFrom, timeTo), ISO 8601. */
  timeFrom?: string | undefined;
  timeTo?: string | undefined;
};

export type PageRequest = {
  /** 1 to 1000. */
  size: number;
  /** Continue after this seq (the previous page's nextAfterSeq). */
  afterSeq?: number | undefined;
};

export type Page<T> = {
  items: T[];
  /** Pass as afterSeq for the next page; null on the last page. */
  nextAfterSeq: number | null;
};

export type SeqRange = { fromSeq: number; toSeq?: number | undefined };

export type RecentEvent = { eventId: string; seq: number; hash: string };

export interface AuditStore {
  /** The record with the highest seq, null for an empty chain. */
  lastRecord(): Promise<AuditRecord | null>;
  /**
   * Which of these event ids are already recorded. A lookup for callers; the write path does not
   * use it per batch (on FerretDB an `$in` is a collection scan) — see AuditWriter.
   */
  existingEventIds(eventIds: readonly string[]): Promise<ReadonlySet<string>>;
  /**
   * Event id, seq and hash of the last `limit` records (highest seqs), ascending: a writer's head
   * and dedupe window from one read (on FerretDB any sort by seq is a collection scan).
   */
  recentEvents(limit: number): Promise<RecentEvent[]>;
  /**
   * Inserts a chain segment in seq order, stopping at the first record it cannot insert (see
   * AppendStop); never updates or deletes. `records` must be consecutive and linked, records[0]
   * extending the head the caller read. The unique seq makes this a compare-and-set on the chain
   * head: of two writers extending the same head, one gets seq_taken (the fencing token).
   */
  appendBatch(records: readonly AuditRecord[]): Promise<AppendResult>;
  /** Records with fromSeq ≤ seq ≤ toSeq in ascending seq, at most `limit` of them. */
  range(fromSeq: number, toSeq: number, limit?: number): Promise<AuditRecord[]>;
  /** Records with fromSeq ≤ seq ≤ toSeq in ascending seq, read with one cursor (verify, export). */
  stream(fromSeq: number, toSeq: number): AsyncIterable<AuditRecord>;
  /** Records matching a filter in ascending seq, one page. */
  query(filter: AuditQueryFilter, page: PageRequest): Promise<Page<AuditRecord>>;
  /** Every record matching a filter with seq > afterSeq, ascending, read with one cursor (export). */
  find(filter: AuditQueryFilter, afterSeq?: number): AsyncIterable<AuditRecord>;
  /** Stores a checkpoint; saving the same seq again is a no-op. */
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;
  /** Checkpoints with seq in the range, ascending. */
  checkpoints(range: SeqRange): Promise<Checkpoint[]>;
  latestCheckpoint(): Promise<Checkpoint | null>;
}

export const MAX_PAGE_SIZE = 1000;

function typeMatches(type: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? type.startsWith(p.slice(0, -1)) : type === p));
}

/** Whether a record matches a filter (the fake store, and filtering live records for Tail). */
export function matchesFilter(record: AuditRecord, filter: AuditQueryFilter): boolean {
  return (
    (filter.actorId === undefined || record.actor.id === filter.actorId) &&
    (filter.team === undefined || record.actor.team === filter.team) &&
    (filter.agentId === undefined || record.agentId === filter.agentId) &&
    (filter.action === undefined || record.what.action === filter.action) &&
    (filter.actionId === undefined || record.actionId === filter.actionId) &&
    (filter.types === undefined || filter.types.length === 0 || typeMatches(record.type, filter.types)) &&
    (filter.environment === undefined || record.where.environment === filter.environment) &&
    (filter.timeFrom === undefined || record.time >= filter.timeFrom) &&
    (filter.timeTo === undefined || record.time < filter.timeTo)
  );
}
