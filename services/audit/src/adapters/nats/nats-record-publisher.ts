// RecordPublisher on the WARDEN_AUDIT stream: each committed record on
// wardenaudit.recorded.<type> as the stored JSON (exactly what was hashed, keys in canonical order,
// so a downstream consumer can re-verify the chain), each checkpoint on wardenaudit.checkpoint.
// Message ids `audit-<seq>` / `checkpoint-<seq>` make a re-publish after a crash a no-op within the
// stream's duplicate window; headers carry seq and hash for consumers that do not parse the body.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { JetStreamClient } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { Topology } from "@warden/messaging";
import type { RecordPublisher } from "../../app/ports.ts";
import type { AuditRecord } from "../../domain/audit-record.ts";
import type { Checkpoint } from "../../domain/checkpoint.ts";

export const AUDIT_SEQ_HEADER = "Warden-Audit-Seq";
export const AUDIT_HASH_HEADER = "Warden-Audit-Hash";

export const recordMessageId = (seq: number): string => `audit-${seq}`;
export const checkpointMessageId = (seq: number): string => `checkpoint-${seq}`;

export function natsRecordPublisher(
  nc: NatsConnection,
  topology: Topology,
  options: { timeoutMs?: number } = {},
): RecordPublisher {
  const js: JetStreamClient = jetstream(nc, { timeout: options.timeoutMs ?? 10_000 });

  const publishOne = async (subject: string, id: string, body: object, seq: number, hash: string) => {
    const h = headers();
    h.set(AUDIT_SEQ_HEADER, String(seq));
    h.set(AUDIT_HASH_HEADER, hash);
    await js.publish(subject, JSON.stringify(body), { msgID: id, headers: h });
  };

  const lastSeqOn = async (subject: string): Promise<number> => {
    const jsm = await jetstreamManager(nc);
    const last = await jsm.streams.getMessage(topology.streams.audit, { last_by_subj: subject });
    if (last === null) return 0;
    const seq = Number(last.header?.get(AUDIT_SEQ_HEADER) ?? last.json<{ seq?: unknown }>().seq);
    return Number.isSafeInteger(seq) && seq > 0 ? seq : 0;
  };

  return {
    lastPublishedSeq: () => lastSeqOn(topology.subjects.auditRecordedAll),
    lastPublishedCheckpointSeq: () => lastSeqOn(topology.subjects.auditCheckpoint),
    async publishRecords(records: readonly AuditRecord[]) {
      // Sent in order on one connection (the stream stores them in seq order); acks awaited together.
      await Promise.all(
        records.map((r) =>
          publishOne(topology.subjects.auditRecorded(r.type), recordMessageId(r.seq), r, r.seq, r.hash),
        ),
      );
    },
    async publishCheckpoint(checkpoint: Checkpoint) {
      await publishOne(
        topology.subjects.auditCheckpoint,
        checkpointMessageId(checkpoint.seq),
        checkpoint,
        checkpoint.seq,
        checkpoint.hash,
      );
    },
  };
}
