// The StopStore contract against the real JetStream KV bucket, plus what only real concurrency
// shows: simultaneous activations from separate connections lose none and the epoch never goes back.
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { ConflictError } from "@warden/grpc/errors";
import { connectNats, drainNats, provisionTopology, topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createKillSwitchService } from "../src/app/kill-switch-service.ts";
import { stopStoreContract } from "../src/testing/stop-store-contract.ts";
import { createInMemoryEvents } from "../src/adapters/fakes/in-memory-events.ts";
import { createKvStopStore } from "../src/adapters/nats/kv-stop-store.ts";

const connections: NatsConnection[] = [];
const namespaces: string[] = [];
let admin: NatsConnection;

beforeAll(async () => {
  admin = await connectNats({
    servers: testServers().natsUrl,
    name: "kv-stop-store-test",
    ...(await natsCredentials("test-admin")),
  });
});

afterAll(async () => {
  const jsm = await jetstreamManager(admin);
  for (const ns of namespaces) {
    const t = topology(ns);
    for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`]) {
      await jsm.streams.delete(name).catch(() => undefined);
    }
  }
  for (const nc of connections) await drainNats(nc);
  await drainNats(admin);
});

/** A fresh bucket (its own namespace) and a store on a new connection per call. */
async function freshBucket(): Promise<() => Promise<ReturnType<typeof createKvStopStore>>> {
  const t = topology(uniqueName("ks").toLowerCase());
  namespaces.push(t.namespace);
  await provisionTopology(admin, t);
  return async () => {
    const nc = await connectNats({
      servers: testServers().natsUrl,
      name: "kv-stop-store",
      ...(await natsCredentials("test-admin")),
    });
    connections.push(nc);
    return createKvStopStore(await new Kvm(nc).open(t.kv.killswitch));
  };
}

stopStoreContract("JetStream KV", async () => (await freshBucket())());

it("simultaneous activations on separate connections: none lost, epochs distinct and never back", async () => {
  const open = await freshBucket();
  const scopes = Array.from({ length: 8 }, (_, i) => ({ kind: "agent" as const, value: `agent-${i}` }));
  const services = await Promise.all(
    scopes.map(async () =>
      createKillSwitchService({
        store: await open(),
        events: createInMemoryEvents(),
        acks: { latest: () => [] },
      }),
    ),
  );
  const lead = { id: "olga", type: "human" as const, roles: ["on-call-engineer"] };
  // Every replica also races on the same global scope: exactly one may activate it.
  const results = await Promise.all(
    services.map((s, i) =>
      s.activate(lead, { scopes: [scopes[i] ?? { kind: "global" }, { kind: "global" }], reason: "race" }),
    ),
  );
  const status = await services[0]?.status();
  expect(status?.scopes.filter((r) => r.active)).toHaveLength(9);
  const globals = results.flatMap((r) => r.activated).filter((r) => r.scope.kind === "global");
  expect(globals).toHaveLength(1);
  const epochs = (status?.scopes ?? []).map((r) => r.epoch);
  expect(Math.max(...epochs)).toBeLessThanOrEqual(status?.epoch ?? 0);
  // One epoch per successful write batch: distinct across replicas.
  const perReplica = results.map((r) => new Set(r.activated.map((a) => a.epoch)));
  const all = perReplica.flatMap((s) => [...s]);
  expect(new Set(all).size).toBe(all.length);
});

it("a scope key holding garbage reads as an active stop (fail-safe); a valid one as written", async () => {
  const open = await freshBucket();
  const store = await open();
  const t = topology(namespaces.at(-1));
  const kv = await new Kvm(admin).open(t.kv.killswitch);
  await kv.put("scope.agent.x", "{not json");
  await kv.put(
    "scope.agent.y",
    JSON.stringify({
      scope: { kind: "agent", value: "y" },
      active: false,
      epoch: 1,
      reason: "r",
      activatedBy: { id: "a", type: "human", roles: [] },
      activatedAt: "t",
      needsReEnabling: false,
    }),
  );
  const x = await store.get({ kind: "agent", value: "x" });
  expect(x?.value.active).toBe(true);
  expect(x?.value.reason).toContain("unreadable");
  const y = await store.get({ kind: "agent", value: "y" });
  expect(y?.value).toMatchObject({ active: false, epoch: 1 });
});

it("hands out the next epoch from its last known counter without reading, and a stale one loses the compare-and-set", async () => {
  const make = await freshBucket();
  const [a, b] = [await make(), await make()];
  expect(await a.nextEpoch()).toBe(1);
  expect(await b.nextEpoch()).toBe(2);
  // a's counter (1 at its revision) is stale now: its write at that revision is refused …
  await expect(a.nextEpoch()).rejects.toBeInstanceOf(ConflictError);
  // … and the retry reads the counter again: never a repeated epoch.
  expect(await a.nextEpoch()).toBe(3);
  await expect(b.nextEpoch()).rejects.toBeInstanceOf(ConflictError); // b's is stale now
  expect(await b.nextEpoch()).toBe(4);
  expect(await b.nextEpoch()).toBe(5); // its own write keeps it current: no read, no conflict
  expect(await a.currentEpoch()).toBe(5);
});
