// `warden audit verify` over a database: connects read-only to the Mongo-wire server, verifies the
// stored chain (app/verify-stored-chain.ts) and closes. A composition root like
// start-audit-service.ts, exported so that the CLI needs no store class or adapter path.
import type { KeyObject } from "node:crypto";
import { MongoClient } from "mongodb";
import { createMongoAuditStore } from "./adapters/mongo/mongo-audit-store.ts";
import { verifyStoredChain, type VerifyStoredChainResult } from "./app/verify-stored-chain.ts";
import { signingKeyId, type Checkpoint } from "./domain/checkpoint.ts";

export type VerifyAuditDatabaseRequest = {
  /** Mongo-wire server, e.g. mongodb://127.0.0.1:27017/ (read access is enough). */
  mongoUrl: string;
  /** The audit database, e.g. warden_audit. */
  db: string;
  /** Checkpoint verification keys (the current one and rotated ones). */
  publicKeys: readonly KeyObject[];
  fromSeq?: number | undefined;
  toSeq?: number | undefined;
  /** Checkpoints read outside the database (readStreamCheckpoints); default: the database's. */
  checkpoints?: readonly Checkpoint[] | undefined;
  /** Client name, seen in the server's logs. */
  appName?: string;
};

export async function verifyAuditDatabase(
  request: VerifyAuditDatabaseRequest,
): Promise<VerifyStoredChainResult> {
  const client = new MongoClient(request.mongoUrl, {
    serverSelectionTimeoutMS: 10_000,
    appName: request.appName ?? "warden-audit-verify",
  });
  try {
    await client.connect();
    const store = createMongoAuditStore(client.db(request.db));
    const publicKeys = new Map(request.publicKeys.map((k) => [signingKeyId(k), k]));
    return await verifyStoredChain(
      { store, publicKeys },
      { fromSeq: request.fromSeq, toSeq: request.toSeq, checkpoints: request.checkpoints },
    );
  } finally {
    await client.close();
  }
}
