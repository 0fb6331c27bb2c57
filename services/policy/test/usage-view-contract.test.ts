// The NATS usage watcher against the UsageView contract on a real NATS server, a namespace per case;
// the fake passes the same suite as a unit test (src/adapters/fakes/fake-ports.test.ts). `settle` is
// a barrier: a marker decision about an agent of its own, published after everything under test;
// the watcher's consumers read in stream order, so once the marker is counted the rest has been read.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  connectNats,
  createPublisher,
  drainNats,
  provisionTopology,
  topology,
  type Topology,
} from "@warden/messaging";
import { createLogger } from "@warden/telemetry";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll, expect } from "vitest";
import { natsDecisionSink } from "../src/adapters/nats/nats-decision-sink.ts";
import { createUsageWatcher } from "../src/adapters/nats/nats-usage-view.ts";
import { STOP_CLEAR } from "../src/domain/stop-state.ts";
import { decidedNow, describeUsageViewContract } from "../src/testing/usage-view-contract.ts";
import { WAIT } from "./support.ts";

const MARKER = "usage-contract-marker";
const log = createLogger({ service: "usage-view-contract", level: "silent" });
let nc: NatsConnection;
const namespaces: Topology[] = [];

beforeAll(async () => {
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "usage-view-contract",
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

describeUsageViewContract("createUsageWatcher", async (agentIds) => {
  const t = topology(uniqueName("uvc").toLowerCase());
  namespaces.push(t);
  await provisionTopology(nc, t);
  const own = natsDecisionSink(createPublisher(nc, { source: "policy" }), t);
  const other = natsDecisionSink(createPublisher(nc, { source: "another-replica" }), t);
  const view = createUsageWatcher(nc, t, { log, leaseMs: 5_000 });
  view.track([...agentIds, MARKER].sort());
  let markers = 0;
  return {
    view,
    caughtUp: async () => {
      expect(await view.caughtUp(10_000)).toBe(true);
    },
    record: ({ decision, request, origin }) => own.decided(decision, request, origin, STOP_CLEAR),
    fromAnotherReplica: ({ decision, request, origin }) =>
      other.decided(decision, request, origin, STOP_CLEAR),
    settle: async () => {
      const m = decidedNow(MARKER, "allow");
      await other.decided(m.decision, m.request, m.origin, STOP_CLEAR);
      markers += 1;
      await expect
        .poll(() => {
          const u = view.current(MARKER, undefined, Date.now());
          return u.state === "confirmed" ? u.requestsLastMinute : u.reason;
        }, WAIT)
        .toBe(markers);
    },
    close: () => view.close(),
  };
});
