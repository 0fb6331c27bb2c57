// The NATS StopStateReader (the kill-switch KV bucket, through @warden/messaging's watcher) against
// the StopStateReader contract on a real NATS server, a namespace per case; the fake passes the same
// suite as a unit test (src/adapters/fakes/fake-ports.test.ts).
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  connectNats,
  drainNats,
  KILLSWITCH_STATE_KEY,
  provisionTopology,
  topology,
  watchStopState,
  type Topology,
} from "@warden/messaging";
import { createLogger } from "@warden/telemetry";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll } from "vitest";
import { natsStopState } from "../src/adapters/nats/nats-stop-state.ts";
import { describeStopStateContract } from "../src/testing/stop-state-contract.ts";

const log = createLogger({ service: "stop-state-contract", level: "silent" });
let nc: NatsConnection;
const namespaces: Topology[] = [];

beforeAll(async () => {
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "stop-state-contract",
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

const SCOPE_KIND = {
  global: "SCOPE_KIND_GLOBAL",
  environment: "SCOPE_KIND_ENVIRONMENT",
  agent: "SCOPE_KIND_AGENT",
  service: "SCOPE_KIND_SERVICE",
} as const;

describeStopStateContract("natsStopState", async () => {
  const t = topology(uniqueName("ssc").toLowerCase());
  namespaces.push(t);
  await provisionTopology(nc, t);
  const kv = await new Kvm(nc).open(t.kv.killswitch);
  const watcher = await watchStopState(nc, t, { log, leaseMs: 5_000, refreshMs: 50 });
  return {
    reader: natsStopState(watcher),
    set: async ({ epoch, active, scopes }) => {
      const wire = scopes.map((s) => ({
        kind: SCOPE_KIND[s.kind],
        ...(s.value === undefined ? {} : { value: s.value }),
      }));
      await kv.put(KILLSWITCH_STATE_KEY, JSON.stringify({ epoch, active, scopes: wire }));
    },
    close: () => watcher.close(),
  };
});
