// The signed checkpoints as published on the WARDEN_AUDIT stream, outside the database: what
// `warden audit verify --nats-url` checks the stored chain against, so a rewrite by someone with
// database access is caught even if they rewrote audit_checkpoints too.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats, drainNats, topology as makeTopology } from "@warden/messaging";
import type { Checkpoint } from "../../domain/checkpoint.ts";

/** Every checkpoint on the installation's audit stream (an ordered consumer read to the end). */
export async function readStreamCheckpoints(options: {
  natsUrl: string;
  /** WARDEN_NAMESPACE of the installation ("" for none). */
  namespace: string;
  /** Connection name, seen in the server's monitoring. */
  name?: string;
}): Promise<Checkpoint[]> {
  const topology = makeTopology(options.namespace);
  const nc = await connectNats({ servers: options.natsUrl, name: options.name ?? "warden-audit-verify" });
  try {
    await jetstreamManager(nc); // fails early, with a clear error, when JetStream is unavailable
    const consumer = await jetstream(nc).consumers.get(topology.streams.audit, {
      filter_subjects: [topology.subjects.auditCheckpoint],
      deliver_policy: DeliverPolicy.All,
    });
    const found: Checkpoint[] = [];
    if ((await consumer.info()).num_pending === 0) return found;
    const messages = await consumer.consume();
    for await (const msg of messages) {
      found.push(msg.json<Checkpoint>());
      if (msg.info.pending === 0) break;
    }
    await messages.close();
    return found;
  } finally {
    await drainNats(nc);
  }
}
