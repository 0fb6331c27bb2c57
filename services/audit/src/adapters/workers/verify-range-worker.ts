// Worker thread entry of workerRangeVerifier: verifies one seq range of the chain stored in a
// Mongo-wire database (its own connection and cursor) and posts the result back.
import type { KeyObject } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { MongoClient } from "mongodb";
import { verifyStoredChain, type VerifyStoredChainRequest } from "../../app/verify-stored-chain.ts";
import { MongoAuditStore } from "../mongo/mongo-audit-store.ts";

export type VerifyRangeJob = {
  mongoUrl: string;
  db: string;
  appName: string;
  publicKeys: [string, KeyObject][];
  request: VerifyStoredChainRequest;
};

export type VerifyRangeReply =
  { ok: true; result: Awaited<ReturnType<typeof verifyStoredChain>> } | { ok: false; error: string };

const job = workerData as VerifyRangeJob;
const client = new MongoClient(job.mongoUrl, { serverSelectionTimeoutMS: 10_000, appName: job.appName });
let reply: VerifyRangeReply;
try {
  await client.connect();
  const store = new MongoAuditStore(client.db(job.db));
  const result = await verifyStoredChain({ store, publicKeys: new Map(job.publicKeys) }, job.request);
  reply = { ok: true, result };
} catch (err) {
  reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
} finally {
  await client.close();
}
parentPort?.postMessage(reply);
