// Worker of audit-verify.bench.ts: verifies seq ranges of a chain held as stored documents (layout
// 2, BSON bytes as the driver receives them from the database) in a SharedArrayBuffer, with the
// production range verification (verifyStoredChain over a store that decodes and maps each
// document as MongoAuditStore.streamHashed does: BSON.deserialize without UTF-8 validation +
// readAuditEventDocument). Only the database server is left out.
import type { KeyObject } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { BSON } from "mongodb";
import {
  readAuditEventDocument,
  verifyStoredChain,
  type Checkpoint,
  type HashedRecord,
  type VerifyStoredChainRequest,
} from "@warden/audit";

export type BenchWorkerData = {
  /** Documents back to back (each BSON document starts with its int32 length), in seq order. */
  docs: SharedArrayBuffer;
  /** Byte offset of the document with seq n + 1 at [n]; one more entry for the end. */
  offsets: SharedArrayBuffer;
  publicKey: KeyObject;
};

const data = workerData as BenchWorkerData;
const bytes = Buffer.from(data.docs);
const offsets = new Float64Array(data.offsets);
const count = offsets.length - 1;

function* documents(fromSeq: number, toSeq: number): Generator<HashedRecord> {
  for (let seq = Math.max(1, fromSeq); seq <= Math.min(count, toSeq); seq++) {
    const start = offsets[seq - 1] ?? 0;
    const end = offsets[seq] ?? start;
    const doc = BSON.deserialize(bytes.subarray(start, end), { validation: { utf8: false } });
    yield readAuditEventDocument(doc);
  }
}

const store = {
  range: (fromSeq: number, toSeq: number, limit = Infinity) =>
    Promise.resolve([...documents(fromSeq, toSeq)].slice(0, limit).map((d) => d.record)),
  async *streamHashed(fromSeq: number, toSeq: number) {
    for (const hashed of documents(fromSeq, toSeq)) yield await Promise.resolve(hashed);
  },
  checkpoints: (): Promise<Checkpoint[]> => Promise.resolve([]),
};

parentPort?.on("message", (request: VerifyStoredChainRequest) => {
  verifyStoredChain({ store, publicKeys: data.publicKey }, request).then(
    (result) => parentPort?.postMessage(result),
    (err: unknown) => parentPort?.postMessage({ error: String(err) }),
  );
});
