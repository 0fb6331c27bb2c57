// The NATS AccessLog (warden.audit.queried on WARDEN_EVENTS) against the AccessLog contract on a real
// NATS server, a namespace per case; the fake passes the same suite as a unit test
// (src/adapters/fakes/in-memory-ports.test.ts).
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  connectNats,
  createPublisher,
  drainNats,
  provisionTopology,
  topology,
  type Topology,
} from "@warden/messaging";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll } from "vitest";
import { natsAccessLog, type AuditQueriedData } from "../src/adapters/nats/nats-access-log.ts";
import { describeAccessLogContract, type RecordedAccess } from "../src/testing/access-log-contract.ts";

let nc: NatsConnection;
const namespaces: Topology[] = [];

beforeAll(async () => {
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "access-log-contract",
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

function accessOf(data: AuditQueriedData): RecordedAccess {
  const { scope } = data;
  return {
    method: data.method,
    readerId: data.reader.id,
    scope:
      scope.kind === "all"
        ? { kind: "all" }
        : scope.kind === "team"
          ? { kind: "team", team: scope.team ?? "" }
          : { kind: "own", actorId: scope.actorId ?? "", actorType: data.reader.type },
    ...(data.filter === undefined ? {} : { filter: data.filter }),
    ...(data.pageSize === undefined
      ? {}
      : {
          page: { size: data.pageSize, ...(data.afterSeq === undefined ? {} : { afterSeq: data.afterSeq }) },
        }),
    ...(data.fromSeq === undefined
      ? {}
      : { range: { fromSeq: data.fromSeq, ...(data.toSeq === undefined ? {} : { toSeq: data.toSeq }) } }),
  };
}

async function storedAccesses(t: Topology): Promise<RecordedAccess[]> {
  const consumer = await jetstream(nc).consumers.get(t.streams.events, {
    filter_subjects: [t.subjects.auditQueried],
    deliver_policy: DeliverPolicy.All,
  });
  const out: RecordedAccess[] = [];
  if ((await consumer.info()).num_pending === 0) return out;
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push(accessOf(m.json<{ data: AuditQueriedData }>().data));
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

describeAccessLogContract("natsAccessLog", async () => {
  const t = topology(uniqueName("alc").toLowerCase());
  namespaces.push(t);
  await provisionTopology(nc, t);
  return {
    log: natsAccessLog(createPublisher(nc, { source: "audit" }), t),
    recorded: () => storedAccesses(t),
    breakIt: async () => {
      await (await jetstreamManager(nc)).streams.delete(t.streams.events);
    },
  };
});
