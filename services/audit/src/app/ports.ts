// Ports of the audit use cases besides the store (audit-store.ts): where committed records and
// checkpoints go downstream, where reads of the trail are recorded, and where live records come from.
import type { AuditRecord } from "../domain/audit-record.ts";
import type { Checkpoint } from "../domain/checkpoint.ts";
import type { AccessScope, Reader } from "./access-scope.ts";
import type { AuditQueryFilter } from "./audit-store.ts";

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
