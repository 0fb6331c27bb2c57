// Fault: the Mongo-wire store (a FerretDB of this test's own) is killed with SIGKILL under a steady
// load and restarted on the same port and data directory after an outage. The audit service keeps
// running throughout (live, not ready), the backlog waits in the stream and drains afterwards, and
// every event is recorded exactly once on a gapless, verifying chain.
//
//   AUDIT_FAULT_OUTAGE (default 30s as milliseconds: 30000), AUDIT_FAULT_RATE (events/s, default 300)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { topology as makeTopology, connectNats } from "@warden/messaging";
import {
  pidAlive,
  startMongo,
  testServers,
  uniqueName,
  type MongoServer,
  natsCredentials,
  natsCredsFile,
} from "@warden/testing";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  AuditProcess,
  auditEnvironment,
  auditKeys,
  checkChain,
  openLog,
  publishedHead,
  runEvent,
  type AuditKeys,
} from "./lib/audit-process.ts";

const OUTAGE_MS = Number(process.env.AUDIT_FAULT_OUTAGE ?? 30_000);
const RATE = Number(process.env.AUDIT_FAULT_RATE ?? 300);
const BEFORE_MS = 5_000;
const AFTER_MS = 5_000;
const namespace = uniqueName("aout").toLowerCase();
const t = makeTopology(namespace);
const dbName = uniqueName("audit-outage");
const dataDir = mkdtempSync(join(tmpdir(), "warden-audit-outage-ferretdb-"));

let nc: NatsConnection;
let keys: AuditKeys;
let mongo: MongoServer | undefined;
let service: AuditProcess | undefined;

beforeAll(async () => {
  keys = auditKeys();
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "test",
    ...(await natsCredentials("test-admin")),
  });
  mongo = await startMongo({ dataDir, logFile: join(dataDir, "ferretdb-1.log") });
});

afterAll(async () => {
  await service?.kill("SIGKILL");
  await mongo?.stop();
  const jsm = await jetstreamManager(nc);
  for (const stream of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`])
    await jsm.streams.delete(stream).catch(() => undefined);
  await nc.drain();
  rmSync(dataDir, { recursive: true, force: true });
});

async function probe(port: number, path: string): Promise<number> {
  return fetch(`http://127.0.0.1:${port}${path}`).then(
    (r) => r.status,
    () => 0,
  );
}

it(
  `drains the backlog of a ${OUTAGE_MS / 1000} s store outage under load, losing and duplicating nothing`,
  { timeout: 10 * 60_000 },
  async () => {
    if (mongo === undefined) throw new Error("no FerretDB");
    const url = mongo.url;
    const port = Number(new URL(url).port);
    service = await AuditProcess.start(
      auditEnvironment({
        natsUrl: testServers().natsUrl,
        natsCreds: await natsCredsFile("service:audit", { namespace: t.namespace }),
        mongoUrl: url,
        namespace,
        db: dbName,
        keys,
        extra: {
          AUDIT_RETRY_DELAY: "500ms",
          CHECKPOINT_INTERVAL: "2s",
          LOG_LEVEL: process.env.AUDIT_FAULT_LOG_LEVEL ?? "info",
        },
      }),
      openLog(join(keys.dir, "audit.log")),
    );
    let exitedDuringTest = false;
    void service.exited.then(() => (exitedDuringTest = true));

    // Steady load for the whole window.
    const runId = uniqueName("o");
    const js = jetstream(nc);
    const published = new Set<string>();
    const total = Math.round((RATE * (BEFORE_MS + OUTAGE_MS + AFTER_MS)) / 1000);
    const t0 = Date.now();
    const load = (async () => {
      const pending: Promise<void>[] = [];
      for (let n = 0; n < total; n++) {
        const wait = t0 + (n * 1000) / RATE - Date.now();
        if (wait > 0) await sleep(wait);
        const event = runEvent(runId, n);
        pending.push(
          js
            .publish(`${namespace}.${event.type}.${event.actor.id}`, JSON.stringify(event), {
              msgID: event.id,
            })
            .then(() => {
              published.add(event.id);
            }),
        );
      }
      await Promise.all(pending);
    })();

    await sleep(BEFORE_MS);
    const killedPid = mongo.pid;
    process.kill(killedPid, "SIGKILL");
    while (pidAlive(killedPid)) await sleep(20);
    const downAt = Date.now();

    await sleep(OUTAGE_MS / 2);
    const during = {
      live: await probe(service.opsPort, "/healthz"),
      ready: await probe(service.opsPort, "/readyz"),
    };
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
    mongo = await startMongo({ port, dataDir, logFile: join(dataDir, "ferretdb-2.log") });
    const upAt = Date.now();

    await load;
    const client = await MongoClient.connect(url);
    try {
      const db = client.db(dbName);
      const deadline = Date.now() + 5 * 60_000;
      while ((await publishedHead(nc, t)) < total && Date.now() < deadline) await sleep(100);
      const drainedAfterMs = Date.now() - upAt;

      const failures = await service.metric("warden_audit_store_failures_total");
      const check = await checkChain(db, published, keys.publicKeyPem);
      console.log(
        `audit store outage: ${total} events at ${RATE}/s, store down ${((upAt - downAt) / 1000).toFixed(1)} s; ` +
          `backlog drained ${(drainedAfterMs / 1000).toFixed(1)} s after the store came back; ${failures} failed batch writes; ` +
          `during the outage /healthz ${during.live}, /readyz ${during.ready}`,
      );

      if (!check.verify.ok) console.log(`audit store outage: verify failed: ${JSON.stringify(check.verify)}`);

      expect(exitedDuringTest).toBe(false);
      expect(service.alive).toBe(true);
      expect(during).toEqual({ live: 200, ready: 503 });
      expect(failures).toBeGreaterThan(0);
      expect(published.size).toBe(total);
      expect(check).toMatchObject({ count: total, missing: [], unexpected: [], seqGaps: 0 });
      expect(check.verify).toMatchObject({ ok: true, count: total });
      expect(await probe(service.opsPort, "/readyz")).toBe(200);
    } finally {
      await client.close();
    }
  },
);
