// Verify rate of the hash chain, per core and per node (target ≥ 200k records/s per core).
//   node services/audit/test/bench/audit-verify.bench.ts [records=200000] [rounds=5] [workers=cores]
// Builds a chain of realistic records (the sample events, ~1.85 KB of canonical JSON each, with one
// encrypted field), round-trips it through JSON as a store would, then, in the same run:
// 1. verifyChain on one thread over the records in memory, beside its floor (JSON.stringify and
//    SHA-256 of each record, nothing checked), rounds interleaved;
// 2. the canonicalize-only path (records whose key order was lost);
// 3. from stored documents (layout 2, BSON bytes as the driver receives them, in shared memory; no
//    database server): verifyStoredChainInRanges with each range in a worker thread that decodes,
//    maps and verifies (verify-range-worker.ts) — one worker (per core) against `workers` workers
//    (per node), rounds interleaved.
import { availableParallelism, loadavg } from "node:os";
import { generateKeyPairSync, hash, randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import { BSON } from "mongodb";
import { sampleEnvelope } from "@warden/audit/sample-events";
import {
  CheckpointSigner,
  EMPTY_CHAIN,
  FieldEncryptor,
  chainRecords,
  headOf,
  parseEncryptionKey,
  recordFromEvent,
  toAuditEventDocument,
  verifyChain,
  verifyStoredChainInRanges,
  type AuditRecord,
  type VerifyChainResult,
  type VerifyStoredChainRequest,
} from "@warden/audit";
import type { BenchWorkerData } from "./verify-range-worker.ts";

const count = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const workers = Number(process.argv[4] ?? availableParallelism());
const fmt = (n: number): string => Math.round(n).toLocaleString("en");
const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(
  `${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);
const encryptor = new FieldEncryptor({
  key: parseEncryptionKey(randomBytes(32).toString("base64")),
  paths: ["data.message.body", "data.request.message.body"],
});

const started = performance.now();
const recordedAt = new Date();
const drafts = Array.from({ length: count }, (_, i) =>
  encryptor.encrypt(recordFromEvent(sampleEnvelope(i), `subject.${i}`, { receivedAt: recordedAt })),
);
const built = chainRecords(drafts, EMPTY_CHAIN, recordedAt);
// What a store hands back: parsed documents, not the objects that were written.
const records = JSON.parse(JSON.stringify(built)) as AuditRecord[];
const checkpoints = records.filter((r) => r.seq % 1000 === 0).map((r) => signer.sign(headOf(r), recordedAt));
const bytes = records.reduce((sum, r) => sum + JSON.stringify(r).length, 0);
console.log(
  `built ${count} records (${Math.round(bytes / count)} bytes of JSON each, ${checkpoints.length} checkpoints) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

// 1. verifyChain in memory beside its floor, rounds interleaved.
{
  const verifyRates: number[] = [];
  const floorRates: number[] = [];
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    let t0 = performance.now();
    const result = verifyChain(records, checkpoints, signer.publicKey);
    verifyRates.push(records.length / ((performance.now() - t0) / 1000));
    if (!result.ok) throw new Error(`verification failed: ${result.detail}`);
    t0 = performance.now();
    for (const r of records) sink += hash("sha256", `${r.prevHash}\n${JSON.stringify(r)}`).length;
    floorRates.push(records.length / ((performance.now() - t0) / 1000));
  }
  if (sink === 0) throw new Error("unreachable");
  const [v, f] = [median(verifyRates), median(floorRates)];
  console.log(
    `1. verifyChain (stored key order), 1 thread: median ${fmt(v)} records/s, best ${fmt(Math.max(...verifyRates))} (${rounds} rounds)`,
  );
  console.log(
    `   peer, JSON.stringify + SHA-256 of each record (nothing checked): median ${fmt(f)} records/s; verifyChain ×${(v / f).toFixed(2)}`,
  );
}

const shuffledKeys = records
  .slice(0, Math.min(count, 50_000))
  .map((r) => Object.fromEntries(Object.entries(r).reverse()) as AuditRecord);
const t0 = performance.now();
const slow = verifyChain(
  shuffledKeys,
  checkpoints.filter((c) => c.seq <= shuffledKeys.length),
  signer.publicKey,
);
if (!slow.ok) throw new Error(`verification failed: ${slow.detail}`);
console.log(
  `2. verifyChain (key order lost → canonicalize path): ${Math.round(shuffledKeys.length / ((performance.now() - t0) / 1000)).toLocaleString("en")} records/s`,
);

// 3. From stored documents, in worker threads.
{
  const encoded = records.map((r) => BSON.serialize(toAuditEventDocument(r)));
  const docs = new SharedArrayBuffer(encoded.reduce((sum, b) => sum + b.length, 0));
  const offsets = new SharedArrayBuffer(8 * (encoded.length + 1));
  const view = Buffer.from(docs);
  const at = new Float64Array(offsets);
  let pos = 0;
  encoded.forEach((b, i) => {
    at[i] = pos;
    view.set(b, pos);
    pos += b.length;
  });
  at[encoded.length] = pos;
  console.log(
    `3. stored documents: ${fmt(encoded.length)} (${fmt(pos / encoded.length)} bytes of BSON each), ${workers} worker threads`,
  );

  const data: BenchWorkerData = { docs, offsets, publicKey: signer.publicKey };
  const pool = Array.from(
    { length: workers },
    () => new Worker(new URL("./verify-range-worker.ts", import.meta.url), { workerData: data }),
  );
  const ask = (worker: Worker, request: VerifyStoredChainRequest): Promise<VerifyChainResult> =>
    new Promise((resolve, reject) => {
      worker.once("message", (reply: VerifyChainResult | { error: string }) =>
        "error" in reply ? reject(new Error(reply.error)) : resolve(reply),
      );
      worker.postMessage(request);
    });
  // What the coordinator reads itself: the head, the checkpoints and one record at each seam.
  const store = {
    lastRecord: () => Promise.resolve(records.at(-1) ?? null),
    range: (fromSeq: number, toSeq: number, limit = Infinity) =>
      Promise.resolve(records.slice(fromSeq - 1, Math.min(toSeq, fromSeq - 1 + limit))),
    checkpoints: () => Promise.resolve(checkpoints),
  };
  const run = async (parts: number): Promise<number> => {
    let next = 0;
    const verifyRange = (request: VerifyStoredChainRequest) => {
      const worker = pool[next++ % pool.length];
      if (worker === undefined) throw new Error("no worker");
      return ask(worker, request);
    };
    const t0 = performance.now();
    const result = await verifyStoredChainInRanges({ store, verifyRange }, { parts, checkpoints });
    const seconds = (performance.now() - t0) / 1000;
    if (!result.ok || result.count !== records.length)
      throw new Error(`verification failed: ${JSON.stringify(result)}`);
    return records.length / seconds;
  };
  try {
    const one: number[] = [];
    const all: number[] = [];
    for (let round = 0; round < rounds; round++) {
      one.push(await run(1));
      all.push(await run(workers));
    }
    const [o, a] = [median(one), median(all)];
    console.log(`   1 worker (per core):   median ${fmt(o)} records/s, best ${fmt(Math.max(...one))}`);
    console.log(
      `   ${workers} workers (per node): median ${fmt(a)} records/s, best ${fmt(Math.max(...all))}; ×${(a / o).toFixed(2)} of one worker`,
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
