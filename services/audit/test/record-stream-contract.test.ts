// The NATS RecordPublisher (WARDEN_AUDIT) and RecordFeed (a core subscription on its subjects)
// against their contracts on a real NATS server, a namespace per case; the in-memory fakes pass the
// same suites as unit tests (src/adapters/fakes/in-memory-ports.test.ts).
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, drainNats, provisionTopology, topology, type Topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll } from "vitest";
import { natsRecordFeed } from "../src/adapters/nats/nats-record-feed.ts";
import { natsRecordPublisher } from "../src/adapters/nats/nats-record-publisher.ts";
import type { AuditRecord } from "../src/domain/audit-record.ts";
import type { Checkpoint } from "../src/domain/checkpoint.ts";
import {
  describeRecordFeedContract,
  describeRecordPublisherContract,
} from "../src/testing/record-publisher-contract.ts";
import { auditStreamMessages } from "./support.ts";

let nc: NatsConnection;
const namespaces: Topology[] = [];

beforeAll(async () => {
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "record-stream-contract",
    ...(await natsCredentials("test-admin")),
  });
});

afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  for (const t of namespaces)
    for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`])
      await jsm.streams.delete(name).catch(() => undefined);
  await drainNats(nc);
});

async function freshTopology(): Promise<Topology> {
  const t = topology(uniqueName("rsc").toLowerCase());
  namespaces.push(t);
  await provisionTopology(nc, t);
  return t;
}

describeRecordPublisherContract("natsRecordPublisher", async () => {
  const t = await freshTopology();
  return {
    publisher: natsRecordPublisher(nc, t),
    stored: async () => ({
      records: (await auditStreamMessages(nc, t, t.subjects.auditRecordedAll)).map(
        (m) => m.body as AuditRecord,
      ),
      checkpoints: (await auditStreamMessages(nc, t, t.subjects.auditCheckpoint)).map(
        (m) => m.body as Checkpoint,
      ),
    }),
  };
});

describeRecordFeedContract("natsRecordFeed", async () => {
  const t = await freshTopology();
  const publisher = natsRecordPublisher(nc, t);
  return { feed: natsRecordFeed(nc, t), publish: (records) => publisher.publishRecords(records) };
});
