// Ports of the audit use cases: the store of the trail (append-only, insert and find only; one real
// adapter in adapters/mongo and one in-memory fake in adapters/fakes with the same semantics), where
// committed records and checkpoints go downstream, where reads of the trail are recorded, and where
// live records come from.
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
  /** Actor type ("human", "ai_agent", "service"): the "own" scope matches id and type together. */
  actorType?: string | undefined;
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

/** Largest page a query answers. */
export const MAX_PAGE_SIZE = 1000;

export type PageRequest = {
  /** 1 to MAX_PAGE_SIZE. */
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
   * use it per batch (on FerretDB an `$in` is a collection scan) — see createAuditWriter.
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

/** Where the checkpoints a verification checks against came from. */
export type CheckpointSourceKind = "stream" | "database";

/**
 * Signed checkpoints kept outside the audited database (the WARDEN_AUDIT stream, DESIGN.md §11):
 * what Verify checks the stored chain against, so that someone who can rewrite the database,
 * audit_checkpoints included, is still caught.
 */
export interface ExternalCheckpoints {
  readonly source: CheckpointSourceKind;
  /** Every checkpoint held, ascending by seq. */
  read(): Promise<Checkpoint[]>;
}

/** The downstream stream of committed records and checkpoints (WARDEN_AUDIT). */
export interface RecordPublisher {
  /** Highest record seq already in the stream; 0 when none. */
  lastPublishedSeq(): Promise<number>;
  /** Seq of the latest checkpoint already in the stream; 0 when none. */
  lastPublishedCheckpointSeq(): Promise<number>;
  /** Publishes records in order; re-publishing a seq is de-duplicated by the stream. */
  publishRecords(records: readonly AuditRecord[]): Promise<void>;
  publishCheckpoint(checkpoint: Checkpoint): Promise<void>;
}

/** The authenticated caller, from a verified token. */
export type Reader = {
  id: string;
  type: string;
  name?: string | undefined;
  roles: readonly string[];
  /** From the token's team claim, when it has one. */
  team?: string | undefined;
};

export type AccessScope =
  | { kind: "all" }
  | { kind: "team"; team: string }
  /**
   * Records whose actor is the reader: the same id and the same type (a human whose subject equals
   * an agent's id is not that agent). Also a team lead's scope when the token names no team.
   */
  | { kind: "own"; actorId: string; actorType: string };

export type AuditReadMethod = "query" | "export" | "verify" | "tail";

/** One read of the trail, recorded before any record is returned. */
export type AuditAccess = {
  method: AuditReadMethod;
  reader: Reader;
  scope: AccessScope;
  /** The filter as asked (before scoping); absent for verify. */
  filter?: AuditQueryFilter | undefined;
  page?: { size: number; afterSeq?: number | undefined } | undefined;
  range?: { fromSeq: number; toSeq?: number | undefined } | undefined;
};

/**
 * Records reads of the trail as domain events (warden.audit.queried), which the audit then records
 * like any other event. Resolves once the event is durably accepted; a read is refused otherwise.
 */
export interface AccessLog {
  recorded(access: AuditAccess): Promise<void>;
}

/** Committed records as they are published, for Tail. Iterate once; close() ends the iteration. */
export interface LiveRecords extends AsyncIterable<AuditRecord> {
  close(): void;
}

export interface RecordFeed {
  /** Starts buffering live records now (a bounded buffer: overflow shows as a gap in seq). */
  open(): LiveRecords;
}

/** A signed compliance report to record in the trail (AuditService.RecordReport). */
export type RecordedReport = {
  reportDigest: string;
  framework: "soc2" | "hipaa" | "pci" | "eu-ai-act";
  /** ISO 8601. */
  periodStart?: string | undefined;
  periodEnd?: string | undefined;
  keyId: string;
  signature: string;
  summary: { pass: number; fail: number; manual: number; noEvidence: number };
  firstSeq: number;
  lastSeq: number;
};

/** Publishes a recorded report as a domain event the audit then records; resolves to the event id. */
export interface ReportLog {
  recorded(report: RecordedReport, by: Reader): Promise<string>;
}
