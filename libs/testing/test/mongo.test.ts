import { MongoClient, MongoServerError, type Db } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testServers, uniqueName } from "../src/index.ts";

describe("Mongo wire protocol (shared server from global setup)", () => {
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    client = await MongoClient.connect(testServers().mongoUrl);
    db = client.db(uniqueName("it"));
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it("inserts, finds, and enforces a unique index", async () => {
    const agents = db.collection<{ agentId: string; owner: string }>("agents");
    await agents.createIndex({ agentId: 1 }, { unique: true });
    await agents.insertOne({ agentId: "agent-1", owner: "ana" });
    await agents.insertOne({ agentId: "agent-2", owner: "bo" });

    expect(await agents.find({ owner: "ana" }, { projection: { _id: 0 } }).toArray()).toEqual([
      { agentId: "agent-1", owner: "ana" },
    ]);

    const duplicate = agents.insertOne({ agentId: "agent-1", owner: "cy" });
    await expect(duplicate).rejects.toBeInstanceOf(MongoServerError);
    await expect(duplicate).rejects.toMatchObject({ code: 11000 });
    expect(await agents.countDocuments()).toBe(2);
  });
});
