// In-memory fakes of the ports in app/ports.ts (the NATS adapters are the real ones).
import type {
  AccessLog,
  AuditAccess,
  LiveRecords,
  Reader,
  RecordedReport,
  RecordFeed,
  RecordPublisher,
  ReportLog,
} from "../../app/ports.ts";
import type { AuditRecord } from "../../domain/audit-record.ts";
import type { Checkpoint } from "../../domain/checkpoint.ts";

/** A downstream stream de-duplicating by seq, like WARDEN_AUDIT with `audit-<seq>` message ids. */
export class InMemoryRecordPublisher implements RecordPublisher {
  /** Every publish call's records, in order (including re-publishes the stream dropped). */
  readonly attempts: number[] = [];
  readonly records: AuditRecord[] = [];
  readonly checkpoints: Checkpoint[] = [];
  /** The next `failures` publish calls throw. */
  failures = 0;

  lastPublishedSeq(): Promise<number> {
    return Promise.resolve(this.records.at(-1)?.seq ?? 0);
  }

  lastPublishedCheckpointSeq(): Promise<number> {
    return Promise.resolve(this.checkpoints.at(-1)?.seq ?? 0);
  }

  #fail(): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error("injected: stream unavailable");
    }
  }

  publishRecords(records: readonly AuditRecord[]): Promise<void> {
    this.#fail();
    for (const r of records) {
      this.attempts.push(r.seq);
      if (!this.records.some((x) => x.seq === r.seq)) this.records.push(structuredClone(r));
    }
    return Promise.resolve();
  }

  publishCheckpoint(checkpoint: Checkpoint): Promise<void> {
    this.#fail();
    if (!this.checkpoints.some((c) => c.seq === checkpoint.seq)) this.checkpoints.push(checkpoint);
    return Promise.resolve();
  }
}

export class InMemoryAccessLog implements AccessLog {
  readonly accesses: AuditAccess[] = [];
  /** When set, recording fails (the read must then be refused). */
  down = false;

  recorded(access: AuditAccess): Promise<void> {
    if (this.down) return Promise.reject(new Error("injected: event stream unavailable"));
    this.accesses.push(structuredClone(access));
    return Promise.resolve();
  }
}

/** A feed the test pushes records into; every open() sees what is pushed after it. */
export class InMemoryRecordFeed implements RecordFeed {
  readonly #open = new Set<{ buffer: AuditRecord[]; wake: () => void }>();

  push(record: AuditRecord): void {
    for (const sub of this.#open) {
      sub.buffer.push(structuredClone(record));
      sub.wake();
    }
  }

  get subscribers(): number {
    return this.#open.size;
  }

  open(): LiveRecords {
    let wake: (() => void) | undefined;
    let closed = false;
    const sub = { buffer: [] as AuditRecord[], wake: () => wake?.() };
    this.#open.add(sub);
    const close = (): void => {
      closed = true;
      this.#open.delete(sub);
      wake?.();
    };
    return {
      close,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          if (closed) return;
          const next = sub.buffer.shift();
          if (next !== undefined) yield next;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      },
    };
  }
}

export class InMemoryReportLog implements ReportLog {
  readonly reports: { report: RecordedReport; by: Reader }[] = [];

  recorded(report: RecordedReport, by: Reader): Promise<string> {
    this.reports.push(structuredClone({ report, by }));
    return Promise.resolve(`report-${this.reports.length}`);
  }
}
