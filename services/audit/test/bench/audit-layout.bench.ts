// What a Mongo-wire store pays for in an audit record (ADR 0007): the same records inserted as
// differently shaped documents into separate collections of one server, rounds interleaved; per
// shape the server's CPU time per document (insert, and reading one seq range back sorted) and the
// wall-clock insert rate. CPU time needs the server's pid: a FerretDB is started for the run unless
// MONGO_URL names one (then MONGO_PID, if given, is measured).
//   node services/audit/test/bench/audit-layout.bench.ts [docs per round=2000] [batch=100] [rounds=5]
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import canonicalize from "canonicalize";
import { MongoClient, type Document, type IndexDescription } from "mongodb";
import { sampleIncoming } from "@warden/audit/sample-events";
import {
  AUDIT_EVENTS_INDEXES,
  EMPTY_CHAIN,
  FieldEncryptor,
  chainRecords,
  parseEncryptionKey,
  recordFromEvent,
  toAuditEventDocument,
  type AuditRecord,
} from "@warden/audit";
import { startMongo } from "@warden/testing";

const perRound = Number(process.argv[2] ?? 2000);
const batch = Number(process.argv[3] ?? 100);
const rounds = Number(process.argv[4] ?? 5);

/** User + system CPU seconds of a process (Linux /proc; USER_HZ = 100), undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const seqOnly: IndexDescription[] = [{ key: { seq: 1 }, name: "seq_unique", unique: true }];
const service = [...AUDIT_EVENTS_INDEXES];
const layout1 = (r: AuditRecord): Document => ({ _id: r.eventId, ...r });
const layout2 = (r: AuditRecord): Document => toAuditEventDocument(r);
const layout2Flat = (r: AuditRecord): Document => {
  const { actor, what, where, ...doc } = toAuditEventDocument(r);
  return { ...doc, actorId: actor.id, actorTeam: actor.team, action: what.action, env: where.environment };
};
const flatIndexes: IndexDescription[] = service.map((i) =>
  i.name === "actor_seq" ? { key: { actorId: 1, seq: 1 }, name: "actor_seq" } : i,
);
const dataAsString = (r: AuditRecord): Document => ({ ...layout1(r), data: canonicalize(r.data) });
const everyLeafTopLevel = (r: AuditRecord): Document => {
  const out: Document = { _id: r.eventId };
  const walk = (v: unknown, path: string): void => {
    if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      for (const [k, x] of entries) walk(x, path === "" ? k : `${path}_${k}`);
      if (entries.length === 0) out[path] = Array.isArray(v) ? "[]" : "{}";
    } else out[path] = v;
  };
  walk(r, "");
  return out;
};
const stringFields =
  (n: number) =>
  (r: AuditRecord): Document => {
    const text = JSON.stringify(r);
    const size = Math.ceil(text.length / n);
    const doc: Document = { _id: r.eventId, seq: r.seq };
    for (let i = 0; i < n; i++) doc[`f${i}`] = text.slice(i * size, (i + 1) * size);
    return doc;
  };

type Shape = {
  name: string;
  map: (r: AuditRecord) => Document;
  indexes: IndexDescription[];
  w?: 1 | "majority";
  batch?: number;
};
const shapes: Shape[] = [
  { name: "layout 1 (whole record as fields), 6 indexes", map: layout1, indexes: service },
  { name: "layout 1, unique seq index only", map: layout1, indexes: seqOnly },
  { name: "layout 1, no index", map: layout1, indexes: [] },
  { name: "layout 1, 6 indexes, w: 1", map: layout1, indexes: service, w: 1 },
  { name: "layout 1, 6 indexes, batches of 500", map: layout1, indexes: service, batch: 500 },
  { name: "layout 1, 6 indexes, batches of 20", map: layout1, indexes: service, batch: 20 },
  { name: "layout 1 with data as a JSON string", map: dataAsString, indexes: service },
  { name: "every leaf a top-level field, seq index", map: everyLeafTopLevel, indexes: seqOnly },
  { name: "24 string fields, seq index", map: stringFields(24), indexes: seqOnly },
  { name: "one string field, seq index", map: stringFields(1), indexes: seqOnly },
  { name: "layout 2 (queried fields + text), 6 indexes", map: layout2, indexes: service },
  { name: "layout 2, 6 indexes, batches of 500", map: layout2, indexes: service, batch: 500 },
  { name: "layout 2, queried fields flattened", map: layout2Flat, indexes: flatIndexes },
  { name: "layout 2, unique seq index only", map: layout2, indexes: seqOnly },
];

const owned = process.env.MONGO_URL === undefined ? await startMongo() : undefined;
const url = process.env.MONGO_URL ?? owned?.url ?? "";
const pid = owned?.pid ?? (process.env.MONGO_PID === undefined ? undefined : Number(process.env.MONGO_PID));
const client = await MongoClient.connect(url);
const db = client.db(`audit-layout-${randomBytes(3).toString("hex")}`);
const encryptor = new FieldEncryptor({
  key: parseEncryptionKey(randomBytes(32).toString("base64")),
  paths: ["data.message.body", "data.request.message.body"],
});
const at = new Date();
const records = chainRecords(
  sampleIncoming(0, perRound * rounds).map((e) =>
    encryptor.encrypt(recordFromEvent(e.envelope, e.subject, { receivedAt: at })),
  ),
  EMPTY_CHAIN,
  at,
);
const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const results = shapes.map(() => ({
  insertCpu: [] as number[],
  readCpu: [] as number[],
  rate: [] as number[],
}));

try {
  console.log(
    `${url}: ${perRound} docs × ${rounds} rounds, batches of ${batch}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  for (const [i, shape] of shapes.entries()) {
    const collection = db.collection(`shape_${i}`);
    if (shape.indexes.length > 0) await collection.createIndexes(shape.indexes);
  }
  for (let round = 0; round < rounds; round++) {
    const slice = records.slice(round * perRound, (round + 1) * perRound);
    for (const [i, shape] of shapes.entries()) {
      const result = results[i];
      if (result === undefined) continue;
      const collection = db.collection(`shape_${i}`, { writeConcern: { w: shape.w ?? "majority" } });
      const docs = slice.map(shape.map);
      const size = shape.batch ?? batch;
      let cpu = cpuSeconds(pid);
      const t0 = performance.now();
      for (let j = 0; j < docs.length; j += size)
        await collection.insertMany(docs.slice(j, j + size), { ordered: true });
      result.rate.push(perRound / ((performance.now() - t0) / 1000));
      let after = cpuSeconds(pid);
      if (cpu !== undefined && after !== undefined) result.insertCpu.push(((after - cpu) / perRound) * 1e6);
      cpu = after;
      const range = { $gte: round * perRound + 1, $lte: (round + 1) * perRound };
      const read = await collection.find({ seq: range }).sort({ seq: 1 }).batchSize(1000).toArray();
      if (read.length !== perRound) throw new Error(`${shape.name}: read ${read.length} documents`);
      after = cpuSeconds(pid);
      if (cpu !== undefined && after !== undefined) result.readCpu.push(((after - cpu) / perRound) * 1e6);
    }
  }
  const base = median(results[0]?.insertCpu ?? []);
  for (const [i, shape] of shapes.entries()) {
    const r = results[i];
    if (r === undefined) continue;
    const insert = median(r.insertCpu);
    const cpu = Number.isNaN(insert)
      ? "server CPU not measured"
      : `server CPU per doc: insert ${Math.round(insert)} µs (×${(base / insert).toFixed(2)} less), read ${Math.round(median(r.readCpu))} µs`;
    console.log(
      `${shape.name.padEnd(48)} ${cpu}; insert ${Math.round(median(r.rate)).toLocaleString("en")} docs/s`,
    );
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
} finally {
  await db.dropDatabase();
  await client.close();
  await owned?.stop();
}
