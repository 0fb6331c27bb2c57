// The signed checkpoints as published on the WARDEN_AUDIT stream, outside the database (DESIGN.md
// §11): what gRPC Verify and `warden audit verify --nats-url` check the stored chain against, so a
// rewrite by someone with database access is caught even if they rewrote audit_checkpoints too.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, drainNats, topology as makeTopology, type Topology } from "@warden/messaging";
import type { ExternalCheckpoints } from "../../app/ports.ts";
import type { Checkpoint } from "../../domain/checkpoint.ts";

/** The checkpoints on the audit stream, read over an open connection (an ordered consumer to the end). */
export function streamCheckpoints(nc: NatsConnection, topology: Topology): ExternalCheckpoints {
  return {
    source: "stream",
    async read() {
      await jetstreamManager(nc); // fails early, with a clear error, when JetStream is unavailable
      const consumer = await jetstream(nc).consumers.get(topology.streams.audit, {
        filter_subjects: [topology.subjects.auditCheckpoint],
        deliver_policy: DeliverPolicy.All,
      });
      const found: Checkpoint[] = [];
      if ((await consumer.info()).num_pending === 0) return found;
      const messages = await consumer.consume();
      try {
        for await (const msg of messages) {
          found.push(msg.json<Checkpoint>());
          if (msg.info.pending === 0) break;
        }
      } finally {
        await messages.close();
      }
      return found.sort((a, b) => a.seq - b.seq);
    },
  };
}

/** Every checkpoint on the installation's audit stream, over a connection of its own (the CLI). */
export async function readStreamCheckpoints(options: {
  natsUrl: string;
  /** WARDEN_NAMESPACE of the installation ("" for none). */
  namespace: string;
  /** Connection name, seen in the server's monitoring. */
  name?: string;
  /** A NATS .creds file (a server with authentication, ADR 0013). */
  natsCreds?: string | undefined;
}): Promise<Checkpoint[]> {
  const nc = await connectNats({
    servers: options.natsUrl,
    name: options.name ?? "warden-audit-verify",
    ...(options.natsCreds !== undefined && { credsFile: options.natsCreds }),
  });
  try {
    return await streamCheckpoints(nc, makeTopology(options.namespace)).read();
  } finally {
    await drainNats(nc);
  }
}
