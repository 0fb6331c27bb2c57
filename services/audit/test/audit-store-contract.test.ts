// The Mongo adapter against the AuditStore contract, on a real Mongo-wire server (FerretDB from
// @warden/testing's global setup, or MONGO_URL); one database per case. The in-memory fake passes the
// same suite as a unit test (src/adapters/fakes/in-memory-audit-store.test.ts).
import { testServers, uniqueName } from "@warden/testing";
import { MongoClient, type Db } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import { createMongoAuditStore } from "../src/adapters/mongo/mongo-audit-store.ts";
import { describeAuditStoreContract } from "../src/testing/audit-store-contract.ts";

let client: MongoClient;
const databases: Db[] = [];

beforeAll(async () => {
  client = await MongoClient.connect(testServers().mongoUrl);
});

afterAll(async () => {
  for (const db of databases) await db.dropDatabase().catch(() => undefined);
  await client.close();
});

describeAuditStoreContract("MongoAuditStore", async () => {
  const db = client.db(uniqueName("auditc"));
  databases.push(db);
  const store = createMongoAuditStore(db);
  await store.ensureIndexes();
  return store;
});
