// RangeVerifier that verifies each seq range in a worker thread of its own, reading the range from
// the Mongo-wire database with its own connection: decoding and hashing then use every core.
import type { KeyObject } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { RangeVerifier, VerifyStoredChainRequest } from "../../app/verify-stored-chain.ts";
import type { VerifyRangeJob, VerifyRangeReply } from "./verify-range-worker.ts";

const WORKER = new URL("./verify-range-worker.ts", import.meta.url);

export function workerRangeVerifier(options: {
  mongoUrl: string;
  db: string;
  publicKeys: ReadonlyMap<string, KeyObject>;
  appName?: string;
}): RangeVerifier {
  return (request: VerifyStoredChainRequest) =>
    new Promise((resolve, reject) => {
      const job: VerifyRangeJob = {
        mongoUrl: options.mongoUrl,
        db: options.db,
        appName: options.appName ?? "warden-audit-verify",
        publicKeys: [...options.publicKeys],
        request,
      };
      const worker = new Worker(WORKER, { workerData: job });
      let replied = false;
      worker.once("message", (reply: VerifyRangeReply) => {
        replied = true;
        if (reply.ok) resolve(reply.result);
        else
          reject(
            new Error(`verifying seqs ${request.fromSeq ?? 1}–${request.toSeq ?? "head"}: ${reply.error}`),
          );
      });
      worker.once("error", reject);
      worker.once("exit", (code) => {
        if (!replied) reject(new Error(`verify worker exited (code ${code}) without a result`));
      });
    });
}
