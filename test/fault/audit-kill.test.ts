// Fault: the audit service is killed with SIGKILL K times, at random moments, while N events are
// published and recorded; each time it is restarted. Afterwards every event is recorded exactly once,
// seq is gapless, the chain and its signed checkpoints verify (checkpoints taken from the audit
// stream, outside the database), and the audit stream holds each record once, in seq order.
// Control: the same checker, after one record is deleted directly in the database, fails.
//
//   AUDIT_FAULT_EVENTS (default 10000), AUDIT_FAULT_KILLS (default 5); the proof is
//   AUDIT_FAULT_EVENTS=100000 AUDIT_FAULT_KILLS=20 (see services/audit/README.md for the timing).
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { AUDIT_EVENTS_COLLECTION, type Checkpoint } from "@warden/audit";
import { topology as makeTopology, connectNats } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials, natsCredsFile } from "@warden/testing";
import { MongoClient, type Db } from "mongodb";
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

const EVENTS = Number(process.env.AUDIT_FAULT_EVENTS ?? 10_000);
const KILLS = Number(process.env.AUDIT_FAULT_KILLS ?? 5);
const namespace = uniqueName("akill").toLowerCase();
const t = makeTopology(namespace);
const dbName = uniqueName("audit-kill");

let nc: NatsConnection;
let mongo: MongoClient;
let db: Db;
let keys: AuditKeys;
let current: AuditProcess | undefined;

beforeAll(async () => {
  keys = auditKeys();
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "test",
    ...(await natsCredentials("test-admin")),
  });
  mongo = await MongoClient.connect(testServers().mongoUrl);
  db = mongo.db(dbName);
});

afterAll(async () => {
  await current?.kill("SIGKILL");
  const jsm = await jetstreamManager(nc);
  for (const stream of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`])
    await jsm.streams.delete(stream).catch(() => undefined);
  await db.dropDatabase().catch(() => undefined);
  await mongo.close();
  await nc.drain();
});

async function streamMessages(subject: string): Promise<{ msgId: string; seq: number; body: unknown }[]> {
  const consumer = await jetstream(nc).consumers.get(t.streams.audit, {
    filter_subjects: [subject],
    deliver_policy: DeliverPolicy.All,
  });
  const out: { msgId: string; seq: number; body: unknown }[] = [];
  if ((await consumer.info()).num_pending === 0) return out;
  const messages = await consumer.consume({ max_messages: 1000 });
  for await (const m of messages) {
    out.push({
      msgId: m.headers?.get("Nats-Msg-Id") ?? "",
      seq: Number(m.headers?.get("Warden-Audit-Seq")),
      body: m.json(),
    });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

it(`records ${EVENTS} events exactly once through ${KILLS} SIGKILLs`, { timeout: 90 * 60_000 }, async () => {
  const started = Date.now();
  const log = openLog(join(keys.dir, "audit.log"));
  const env = auditEnvironment({
    natsUrl: testServers().natsUrl,
    natsCreds: await natsCredsFile("service:audit", { namespace: t.namespace }),
    mongoUrl: testServers().mongoUrl,
    namespace,
    db: dbName,
    keys,
    // Redeliver what a killed process held after 5 s (production: 30 s); re-pin after 2 s.
    extra: {
      AUDIT_ACK_WAIT: "5s",
      AUDIT_PIN_TIMEOUT: "2s",
      CHECKPOINT_EVERY: "1000",
      CHECKPOINT_INTERVAL: "2s",
    },
  });
  current = await AuditProcess.start(env, log);

  // Publisher: N events, 256 in flight, as fast as the stream takes them.
  const runId = uniqueName("e");
  const published = new Set<string>();
  const js = jetstream(nc);
  const publishing = (async () => {
    const inflight = new Set<Promise<void>>();
    for (let n = 0; n < EVENTS; n++) {
      const event = runEvent(runId, n);
      const p = js
        .publish(`${namespace}.${event.type}.${event.actor.id}`, JSON.stringify(event), { msgID: event.id })
        .then(() => {
          published.add(event.id);
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 256) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  })();

  const head = (): Promise<number> => publishedHead(nc, t);

  // Killer: kill k lands at a random record count within the k-th of K+1 equal slices of the run
  // (so all K happen while events are being written, wherever restarts make the run slow), and
  // only after the current process has committed something of its own.
  const kills: { atRecord: number }[] = [];
  const slice = EVENTS / (KILLS + 1);
  for (let k = 0; k < KILLS; k++) {
    const target = Math.max(Math.floor(slice * (k + Math.random())), (kills.at(-1)?.atRecord ?? 0) + 1);
    while ((await head()) < target && Date.now() - started < 60 * 60_000) await sleep(20);
    const atRecord = await head();
    await current.kill("SIGKILL");
    kills.push({ atRecord });
    // Start-up reads the chain's tail: a collection scan on FerretDB, ~1 min at 100k records.
    current = await AuditProcess.start(env, log, 10 * 60_000);
  }
  await publishing;
  expect(published.size).toBe(EVENTS);

  const drainDeadline = Date.now() + 20 * 60_000;
  while ((await head()) < EVENTS && Date.now() < drainDeadline) await sleep(500);
  const recordedAfterMs = Date.now() - started;
  // The last checkpoint comes from the timer (CHECKPOINT_INTERVAL 2 s, ticks every 1 s) of whichever
  // process holds the head, after its outbox drained: wait for it, up to a minute.
  const checkpointsInStream = async (): Promise<Checkpoint[]> =>
    (await streamMessages(t.subjects.auditCheckpoint)).map((m) => m.body as Checkpoint);
  let checkpoints = await checkpointsInStream();
  for (const until = Date.now() + 60_000; checkpoints.at(-1)?.seq !== EVENTS && Date.now() < until;) {
    await sleep(1_000);
    checkpoints = await checkpointsInStream();
  }
  const check = await checkChain(db, published, keys.publicKeyPem, checkpoints);
  const records = await streamMessages(t.subjects.auditRecordedAll);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `audit kill -9: ${EVENTS} events, ${kills.length} kills at records ${kills.map((k) => k.atRecord).join(", ")}; ` +
      `recorded in ${(recordedAfterMs / 1000).toFixed(1)} s, checked in ${seconds.toFixed(1)} s total; ` +
      `${checkpoints.length} checkpoints; log ${join(keys.dir, "audit.log")}`,
  );

  expect(kills.length).toBe(KILLS);
  expect(check).toMatchObject({ count: EVENTS, missing: [], unexpected: [], seqGaps: 0 });
  expect(check.verify).toMatchObject({ ok: true, count: EVENTS });
  // Checkpoints signed but lost from a killed process's outbox were published by its successor.
  expect(checkpoints.length).toBeGreaterThanOrEqual(Math.floor(EVENTS / 1500));
  expect(checkpoints.at(-1)?.seq).toBe(EVENTS);
  expect(check.verify.checkpointsChecked).toBe(checkpoints.length);
  // The audit stream: every record once (re-publishes after the kills were de-duplicated), in order.
  expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
  expect(records).toHaveLength(EVENTS);

  // CONTROL: the same checker catches one record deleted behind the service's back.
  await current.kill("SIGTERM");
  const victim = Math.floor(EVENTS / 2);
  const deleted = await db.collection(AUDIT_EVENTS_COLLECTION).findOneAndDelete({ seq: victim });
  const broken = await checkChain(db, published, keys.publicKeyPem, checkpoints);
  expect(broken.missing).toEqual([deleted?._id]);
  expect(broken.count).toBe(EVENTS - 1);
  expect(broken.verify).toMatchObject({ ok: false, firstBadSeq: victim, problem: "missing" });
});
