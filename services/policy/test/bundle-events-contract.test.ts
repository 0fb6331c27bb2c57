// The NATS BundleEvents (warden.policy.bundle.* on WARDEN_EVENTS) against the BundleEvents contract
// on a real NATS server, a namespace per case; the fake passes the same suite as a unit test
// (src/adapters/fakes/fake-ports.test.ts).
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
import { natsBundleEvents } from "../src/adapters/nats/nats-bundle-events.ts";
import {
  describeBundleEventsContract,
  type RecordedBundleEvent,
} from "../src/testing/bundle-events-contract.ts";

let nc: NatsConnection;
const namespaces: Topology[] = [];

beforeAll(async () => {
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "bundle-events-contract",
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

type Wire = {
  data: {
    digest?: string;
    previousDigest?: string;
    activeDigest?: string;
    ruleCount?: number;
    activatedAt?: string;
    rejectedAt?: string;
    errors?: { file: string; line: number; field: string; reason: string }[];
  };
};

async function storedBundleEvents(t: Topology): Promise<RecordedBundleEvent[]> {
  const consumer = await jetstream(nc).consumers.get(t.streams.events, {
    filter_subjects: [t.subjects.policyBundle("activated"), t.subjects.policyBundle("rejected")],
    deliver_policy: DeliverPolicy.All,
  });
  const out: RecordedBundleEvent[] = [];
  if ((await consumer.info()).num_pending === 0) return out;
  const messages = await consumer.consume();
  for await (const m of messages) {
    const { data } = m.json<Wire>();
    out.push(
      m.subject === t.subjects.policyBundle("activated")
        ? {
            kind: "activated",
            digest: data.digest ?? "",
            previousDigest: data.previousDigest,
            ruleCount: data.ruleCount ?? 0,
            at: data.activatedAt ?? "",
          }
        : {
            kind: "rejected",
            digest: data.digest,
            activeDigest: data.activeDigest,
            issues: data.errors ?? [],
            at: data.rejectedAt ?? "",
          },
    );
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

describeBundleEventsContract("natsBundleEvents", async () => {
  const t = topology(uniqueName("bec").toLowerCase());
  namespaces.push(t);
  await provisionTopology(nc, t);
  return {
    events: natsBundleEvents(createPublisher(nc, { source: "policy" }), t, "policy@contract"),
    recorded: () => storedBundleEvents(t),
  };
});
