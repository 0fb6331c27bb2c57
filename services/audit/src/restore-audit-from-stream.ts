// `warden audit restore-from-stream`: the recovery of a store behind the audit stream (README
// "Recovery: store behind the stream"). Re-inserts, in seq order, the records the WARDEN_AUDIT stream
// holds beyond the store's head — each is the stored JSON, exactly what was hashed — and the stream's
// checkpoints the database lacks. Through the store's appendBatch, so a record that does not extend
// the stored chain is refused, never inserted. A composition root like verify-audit-database.ts.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats, drainNats, topology as makeTopology } from "@warden/messaging";
import { MongoClient } from "mongodb";
import { createMongoAuditStore } from "./adapters/mongo/mongo-audit-store.ts";
import { streamCheckpoints } from "./adapters/nats/stream-checkpoints.ts";
import type { AuditRecord } from "./domain/audit-record.ts";
import { ChainInvariantError } from "./domain/errors.ts";

export type RestoreAuditFromStreamRequest = {
  mongoUrl: string;
  db: string;
  natsUrl: string;
  /** Path of the .creds file to connect with (NATS_CREDS; the audit's identity) when NATS has auth on. */
  natsCreds?: string | undefined;
  /** WARDEN_NAMESPACE of the installation ("" for none). */
  namespace: string;
  /** Records inserted per command; default 100 (FerretDB's batch, see DEFAULT_INSERT_CHUNK). */
  chunk?: number | undefined;
};

export type RestoreAuditFromStreamResult = {
  /** The store's head before the restore. */
  fromHeadSeq: number;
  /** The store's head after it. */
  toHeadSeq: number;
  records: number;
  checkpoints: number;
};

export async function restoreAuditFromStream(
  request: RestoreAuditFromStreamRequest,
): Promise<RestoreAuditFromStreamResult> {
  const topology = makeTopology(request.namespace);
  const chunkSize = request.chunk ?? 100;
  const client = new MongoClient(request.mongoUrl, {
    serverSelectionTimeoutMS: 10_000,
    appName: "warden-audit-restore",
  });
  const nc = await connectNats({
    servers: request.natsUrl,
    name: "warden-audit-restore",
    credsFile: request.natsCreds,
  });
  try {
    await client.connect();
    const store = createMongoAuditStore(client.db(request.db));
    const fromHeadSeq = (await store.lastRecord())?.seq ?? 0;
    let head = fromHeadSeq;
    let records = 0;

    let chunk: AuditRecord[] = [];
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const result = await store.appendBatch(chunk);
      if (result.written !== chunk.length) {
        throw new ChainInvariantError(
          `the stream's records do not extend the stored chain at seq ${chunk[result.written]?.seq ?? "?"} (${result.stoppedBy?.reason ?? "stopped"}); nothing after seq ${head + result.written} restored`,
        );
      }
      head += chunk.length;
      records += chunk.length;
      chunk = [];
    };

    await jetstreamManager(nc);
    const consumer = await jetstream(nc).consumers.get(topology.streams.audit, {
      filter_subjects: [topology.subjects.auditRecordedAll],
      deliver_policy: DeliverPolicy.All,
    });
    if ((await consumer.info()).num_pending > 0) {
      const messages = await consumer.consume();
      try {
        for await (const msg of messages) {
          const record = msg.json<AuditRecord>();
          if (record.seq === head + chunk.length + 1) chunk.push(record);
          else if (record.seq > head + chunk.length + 1)
            throw new ChainInvariantError(
              `the stream lacks seq ${head + chunk.length + 1} (next there: ${record.seq}); restore from a backup`,
            );
          if (chunk.length >= chunkSize) await flush();
          if (msg.info.pending === 0) break;
        }
      } finally {
        await messages.close();
      }
    }
    await flush();

    let checkpoints = 0;
    const stored = new Set((await store.checkpoints({ fromSeq: 1 })).map((c) => c.seq));
    for (const checkpoint of await streamCheckpoints(nc, topology).read()) {
      if (stored.has(checkpoint.seq) || checkpoint.seq > head) continue;
      await store.saveCheckpoint(checkpoint);
      checkpoints++;
    }
    return { fromHeadSeq, toHeadSeq: head, records, checkpoints };
  } finally {
    await drainNats(nc);
    await client.close();
  }
}
