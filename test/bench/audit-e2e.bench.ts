// Audit end to end: events/s from publish to committed record, commit lag p50/p99, beside a bare
// insertMany loop into the same Mongo-wire server in the same run, and the verify rate. Plain node
// script; the audit service runs as its own process (node services/audit/src/main.ts):
//
//   node test/bench/audit-e2e.bench.ts [--events 20000] [--rate 1000] [--lag-seconds 15] [--batch 500]
//
// NATS_URL / MONGO_URL reuse running servers (e.g. a MongoDB: MONGO_URL=mongodb://…); otherwise a
// NATS server and a FerretDB are started for the run and stopped after it.
//
// 1. bare insertMany of pre-built records (the same documents the service writes), w: majority;
// 2. saturation: --events published as fast as the stream takes them; events/s = events / (last
//    record committed − first publish);
// 3. lag at a steady offered --rate for --lag-seconds: per event, envelope time (set at publish) →
//    its record seen on the audit stream (wardenaudit.recorded.>, after commit); p50/p99;
// 4. verify: verifyChain in memory on one core, and verifyStoredChain streamed from the database.
// AUDIT_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the service process.
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import {
  EMPTY_CHAIN,
  createMongoAuditStore,
  chainRecords,
  parsePublicKey,
  recordFromEvent,
  verifyChain,
  verifyStoredChain,
  type AuditEventDocument,
  type AuditRecord,
} from "@warden/audit";
import { sampleIncoming } from "@warden/audit/sample-events";
import { topology as makeTopology } from "@warden/messaging";
import { startMongo, startNats, uniqueName, type ServerHandle } from "@warden/testing";
import { MongoClient } from "mongodb";
import { AuditProcess, auditEnvironment, auditKeys, openLog, runEvent } from "../fault/lib/audit-process.ts";
import { percentile } from "./lib/stats.ts";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    rate: { type: "string", default: "1000" },
    "lag-seconds": { type: "string", default: "15" },
    batch: { type: "string", default: "500" },
  },
});
const EVENTS = Number(args.events);
const RATE = Number(args.rate);
const LAG_SECONDS = Number(args["lag-seconds"]);
const BATCH = Number(args.batch);

const owned: ServerHandle[] = [];
async function own<T extends ServerHandle>(server: Promise<T>): Promise<T> {
  const started = await server;
  owned.push(started);
  return started;
}
const natsUrl = process.env.NATS_URL ?? (await own(startNats())).url;
const mongoUrl = process.env.MONGO_URL ?? (await own(startMongo())).url;
const namespace = uniqueName("abench").toLowerCase();
const t = makeTopology(namespace);
const dbName = uniqueName("audit-bench");
const keys = auditKeys();
const nc = await connect({ servers: natsUrl });
const js = jetstream(nc);
const client = await MongoClient.connect(mongoUrl);
const db = client.db(dbName);
const perSecond = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString("en")}/s`;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

let service: AuditProcess | undefined;
try {
  console.log(`audit e2e bench: NATS ${natsUrl}, Mongo ${mongoUrl}, batch ${BATCH}`);

  // 1. Bare insertMany, w: majority, ordered, batches of BATCH, into the same server.
  const bare = db.collection<AuditEventDocument>("bare_insert", {
    writeConcern: { w: "majority", journal: true },
  });
  await bare.createIndex({ seq: 1 }, { unique: true });
  const bareDocs = chainRecords(
    sampleIncoming(0, EVENTS).map((e) => recordFromEvent(e.envelope, e.subject, { receivedAt: new Date() })),
    EMPTY_CHAIN,
    new Date(),
  ).map((r) => ({ _id: r.eventId, ...r }));
  let t0 = performance.now();
  for (let i = 0; i < bareDocs.length; i += BATCH)
    await bare.insertMany(bareDocs.slice(i, i + BATCH), { ordered: true });
  const bareMs = performance.now() - t0;
  console.log(`1. bare insertMany (${EVENTS} docs, ${BATCH}/batch):       ${perSecond(EVENTS, bareMs)}`);

  // The service, and an observer of what it commits.
  service = await AuditProcess.start(
    auditEnvironment({
      natsUrl,
      mongoUrl,
      namespace,
      db: dbName,
      keys,
      extra: {
        LOG_LEVEL: "warn",
        AUDIT_BATCH_SIZE: String(BATCH),
        ...(process.env.AUDIT_NODE_OPTIONS !== undefined && { NODE_OPTIONS: process.env.AUDIT_NODE_OPTIONS }),
      },
    }),
    openLog(`${keys.dir}/audit.log`),
  );
  const seen = new Map<number, number>(); // seq → ms when seen on the audit stream
  const lagOf = new Map<string, number>(); // eventId → lag ms (envelope time → seen)
  let lastSeenAt = 0;
  const sub = nc.subscribe(t.subjects.auditRecordedAll, {
    callback: (_err, msg) => {
      const now = Date.now();
      const record = msg.json<AuditRecord>();
      if (!seen.has(record.seq)) {
        seen.set(record.seq, now);
        lagOf.set(record.eventId, now - Date.parse(record.time));
        lastSeenAt = now;
      }
    },
  });
  await nc.flush();

  const publish = async (n: number, runId: string): Promise<void> => {
    const event = runEvent(runId, n);
    await js.publish(`${namespace}.${event.type}.${event.actor.id}`, JSON.stringify(event), {
      msgID: event.id,
    });
  };

  // 2. Saturation.
  const satRun = uniqueName("sat");
  t0 = Date.now();
  const inflight = new Set<Promise<void>>();
  for (let n = 0; n < EVENTS; n++) {
    const p = publish(n, satRun).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 512) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const publishedMs = Date.now() - t0;
  while (seen.size < EVENTS) await sleep(20);
  const satMs = lastSeenAt - t0;
  const satLags = Float64Array.from([...lagOf.values()]).sort();
  console.log(
    `2. saturation: ${EVENTS} events published in ${(publishedMs / 1000).toFixed(1)} s (${perSecond(EVENTS, publishedMs)})`,
  );
  console.log(`   end to end (publish → committed, seen downstream):  ${perSecond(EVENTS, satMs)}`);
  console.log(
    `   lag under saturation (backlog included): p50 ${ms(percentile(satLags, 50))}, p99 ${ms(percentile(satLags, 99))}`,
  );

  // 3. Lag at a steady offered rate.
  lagOf.clear();
  const lagRun = uniqueName("lag");
  const total = RATE * LAG_SECONDS;
  const before = seen.size;
  t0 = Date.now();
  const pending: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const due = t0 + (n * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    pending.push(publish(n, lagRun));
  }
  await Promise.all(pending);
  const offeredMs = Date.now() - t0;
  while (seen.size < before + total) await sleep(20);
  const lags = Float64Array.from([...lagOf.values()]).sort();
  console.log(
    `3. steady ${RATE}/s offered (${perSecond(total, offeredMs)} achieved) for ${LAG_SECONDS} s: commit lag p50 ${ms(percentile(lags, 50))}, p99 ${ms(percentile(lags, 99))}, max ${ms(lags[lags.length - 1] ?? Number.NaN)}`,
  );
  sub.unsubscribe();
  await service.kill("SIGTERM");

  // 4. Verify.
  const store = createMongoAuditStore(db);
  const records: AuditRecord[] = [];
  t0 = performance.now();
  for await (const r of store.stream(1, Number.MAX_SAFE_INTEGER)) records.push(r);
  const readMs = performance.now() - t0;
  const publicKey = parsePublicKey(keys.publicKeyPem);
  t0 = performance.now();
  const inMemory = verifyChain(records, [], publicKey);
  const verifyMs = performance.now() - t0;
  t0 = performance.now();
  const stored = await verifyStoredChain({ store, publicKeys: publicKey });
  const storedMs = performance.now() - t0;
  if (!inMemory.ok || !stored.ok) throw new Error(`chain does not verify: ${JSON.stringify(stored)}`);
  console.log(
    `4. verify in memory, one core:         ${perSecond(records.length, verifyMs)} records (${records.length})`,
  );
  console.log(
    `   verifyStoredChain (stream from db):  ${perSecond(records.length, storedMs)} records (reading alone ${perSecond(records.length, readMs)})`,
  );
} finally {
  await service?.kill("SIGKILL");
  const jsm = await jetstreamManager(nc);
  for (const s of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`])
    await jsm.streams.delete(s).catch(() => undefined);
  await db.dropDatabase().catch(() => undefined);
  await client.close();
  await nc.drain();
  for (const server of owned) await server.stop();
}
