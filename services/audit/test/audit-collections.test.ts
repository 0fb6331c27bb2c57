// The indexes MongoAuditStore creates on a real Mongo-wire server (FerretDB in CI) are exactly the
// ones of the shared definition (audit-collections.json), which deploy/mongodb/audit-role.js also
// applies (test/unit/deploy/audit-role.test.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MongoClient, type Db } from "mongodb";
import { testServers, uniqueName } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_EVENTS_COLLECTION, createMongoAuditStore } from "../src/index.ts";

const DEFINITION = join(import.meta.dirname, "../src/adapters/mongo/audit-collections.json");

let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await MongoClient.connect(testServers().mongoUrl);
  db = client.db(uniqueName("audit-indexes"));
});

afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await client.close();
});

type IndexShape = { key: Record<string, unknown>; name: string; unique?: boolean };

function shape(index: { key?: unknown; name?: unknown; unique?: unknown }): IndexShape {
  return {
    key: { ...(index.key as Record<string, unknown>) },
    name: String(index.name),
    ...(index.unique === true ? { unique: true } : {}),
  };
}

describe("audit_events indexes", () => {
  it("ensureIndexes creates the definition's indexes, and no others", async () => {
    const definition = JSON.parse(readFileSync(DEFINITION, "utf8")) as {
      audit_events: { indexes: IndexShape[] };
    };
    const want = definition.audit_events.indexes.map(shape);
    expect(want.map((i) => i.name)).toContain("seq_unique");

    await createMongoAuditStore(db).ensureIndexes();
    await createMongoAuditStore(db).ensureIndexes(); // idempotent: only missing ones are created
    const got = (await db.collection(AUDIT_EVENTS_COLLECTION).indexes())
      .filter((i) => i.name !== "_id_")
      .map(shape);
    const byName = (a: IndexShape, b: IndexShape): number => a.name.localeCompare(b.name);
    expect(got.sort(byName)).toEqual(want.sort(byName));
  });
});
