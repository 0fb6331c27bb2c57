// The ReplayGuard contract against the real KV bucket, and what it is for: two replicas (separate
// connections) share it, so a chat request used on one is a replay on the other. Control: one
// in-memory guard per replica (the design it replaced) lets that replay through.
import { createHash } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, drainNats, provisionTopology, topology, topologyStreams } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReplayGuard } from "../src/app/ports.ts";
import { createInMemoryReplayGuard } from "../src/adapters/fakes/in-memory-replay-guard.ts";
import { createKvReplayGuard } from "../src/adapters/nats/kv-replay-guard.ts";
import { replayGuardContract } from "../src/testing/replay-guard-contract.ts";

const t = topology(uniqueName("ksr").toLowerCase());
const connections: NatsConnection[] = [];

/** A guard on its own connection with the kill-switch service's credentials (as a replica has). */
async function replica(): Promise<ReplayGuard> {
  const nc = await connectNats({
    servers: testServers().natsUrl,
    name: "kv-replay-guard",
    ...(await natsCredentials("service:kill-switch", { namespace: t.namespace })),
  });
  connections.push(nc);
  return createKvReplayGuard(await new Kvm(nc).open(t.kv.killswitchReplays));
}

let admin: NatsConnection;
beforeAll(async () => {
  admin = await connectNats({
    servers: testServers().natsUrl,
    name: "kv-replay-guard-admin",
    ...(await natsCredentials("test-admin")),
  });
  await provisionTopology(admin, t);
});

afterAll(async () => {
  for (const nc of connections) await drainNats(nc);
  const jsm = await jetstreamManager(admin);
  for (const name of topologyStreams(t)) await jsm.streams.delete(name).catch(() => undefined);
  await drainNats(admin);
});

let n = 0;
// Each contract case gets fresh ids by a prefix of its own: the bucket is shared.
replayGuardContract("JetStream KV", async () => {
  const guard = await replica();
  const prefix = `case${n++}:`;
  return { firstUse: (id, ttlMs) => guard.firstUse(prefix + id, ttlMs) };
});

it("a request used on one replica is a replay on another", async () => {
  const [a, b] = [await replica(), await replica()];
  expect(await a.firstUse("v0=cross-replica", 600_000)).toBe(true);
  expect(await b.firstUse("v0=cross-replica", 600_000)).toBe(false);
});

it("control: one in-memory guard per replica lets the replay through", async () => {
  const [a, b] = [createInMemoryReplayGuard(), createInMemoryReplayGuard()];
  expect(await a.firstUse("v0=cross-replica", 600_000)).toBe(true);
  expect(await b.firstUse("v0=cross-replica", 600_000)).toBe(true);
});

it("a used id expires with its TTL (Nats-TTL on the entry)", async () => {
  const guard = await replica();
  expect(await guard.firstUse("v0=ttl", 1_000)).toBe(true);
  const jsm = await jetstreamManager(admin);
  const info = await jsm.streams.info(`KV_${t.kv.killswitchReplays}`);
  expect(info.config.allow_msg_ttl).toBe(true);
  // The key the adapter derives from the id: a fixed-length digest of it.
  const key = `used.${createHash("sha256").update("v0=ttl").digest("hex")}`;
  const msg = await jsm.streams.getMessage(`KV_${t.kv.killswitchReplays}`, {
    last_by_subj: `$KV.${t.kv.killswitchReplays}.${key}`,
  });
  expect(msg?.header?.get("Nats-TTL")).toBe("1s");
});
