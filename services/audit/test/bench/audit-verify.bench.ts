// Verify rate of the hash chain, per core (target ≥ 200k records/s).
//   node services/audit/test/bench/audit-verify.bench.ts [records=200000] [rounds=5]
// Builds a chain of realistic records (the sample events, ~2 KB of canonical JSON each, with one
// encrypted field), round-trips it through JSON as a store would, then times verifyChain on one
// thread. Also times the canonicalize-only path (records whose key order was lost) for comparison.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { sampleEnvelope } from "@warden/audit/sample-events";
import {
  CheckpointSigner,
  EMPTY_CHAIN,
  FieldEncryptor,
  chainRecords,
  headOf,
  parseEncryptionKey,
  recordFromEvent,
  verifyChain,
  type AuditRecord,
} from "@warden/audit";

const count = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);

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

function time(label: string, input: readonly AuditRecord[]): void {
  const rates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const t0 = performance.now();
    const result = verifyChain(input, checkpoints, signer.publicKey);
    const seconds = (performance.now() - t0) / 1000;
    if (!result.ok) throw new Error(`verification failed: ${result.detail}`);
    rates.push(input.length / seconds);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] ?? 0;
  const best = rates.at(-1) ?? 0;
  console.log(
    `${label}: median ${Math.round(median).toLocaleString("en")} records/s, best ${Math.round(best).toLocaleString("en")} records/s (${rounds} rounds, 1 thread)`,
  );
}

time("verifyChain (stored key order)", records);
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
  `verifyChain (key order lost → canonicalize path): ${Math.round(shuffledKeys.length / ((performance.now() - t0) / 1000)).toLocaleString("en")} records/s`,
);
