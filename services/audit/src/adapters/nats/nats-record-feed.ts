// RecordFeed from the records the writer publishes on wardenaudit.recorded.> (a core subscription:
// it sees what any replica publishes). Buffered up to a bound; beyond it records are dropped and
// the reader fills the gap from the store (audit-reader.ts), so a slow Tail client costs no memory.
import type { NatsConnection } from "@nats-io/transport-node";
import type { Topology } from "@warden/messaging";
import type { Logger } from "pino";
import type { LiveRecords, RecordFeed } from "../../app/ports.ts";
import type { AuditRecord } from "../../domain/audit-record.ts";

function isRecord(value: unknown): value is AuditRecord {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { seq?: unknown }).seq === "number" &&
    typeof (value as { type?: unknown }).type === "string"
  );
}

export function natsRecordFeed(
  nc: NatsConnection,
  topology: Topology,
  options: { maxBuffer?: number; logger?: Logger } = {},
): RecordFeed {
  const maxBuffer = options.maxBuffer ?? 10_000;
  return {
    open(): LiveRecords {
      const buffer: AuditRecord[] = [];
      let closed = false;
      let wake: (() => void) | undefined;
      const sub = nc.subscribe(topology.subjects.auditRecordedAll, {
        callback: (err, msg) => {
          if (err !== null) {
            options.logger?.warn({ err }, "tail subscription failed");
            closed = true;
          } else if (buffer.length < maxBuffer) {
            try {
              const value: unknown = msg.json();
              if (isRecord(value)) buffer.push(value);
            } catch {
              // not a record: not ours to show
            }
          }
          wake?.();
        },
      });
      const close = (): void => {
        if (closed) return;
        closed = true;
        sub.unsubscribe();
        wake?.();
      };
      return {
        close,
        async *[Symbol.asyncIterator]() {
          for (;;) {
            if (closed) return;
            const next = buffer.shift();
            if (next !== undefined) {
              yield next;
              continue;
            }
            await new Promise<void>((resolve) => (wake = resolve));
          }
        },
      };
    },
  };
}
