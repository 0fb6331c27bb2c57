// MongoAuditStore and the audit use cases against a real Mongo-wire server (FerretDB in CI, from
// @warden/testing's global setup; MONGO_URL reuses a running one). Each test gets its own database.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import canonicalize from "canonicalize";
import { MongoClient, type Collection, type Db } from "mongodb";
import { testServers, uniqueName } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleIncoming } from "../src/testing/sample-events.ts";
import {
  AUDIT_CHECKPOINTS_COLLECTION,
  AUDIT_EVENTS_COLLECTION,
  createAuditWriter,
  CheckpointSigner,
  createCheckpointer,
  EMPTY_CHAIN,
  FieldEncryptor,
  createMongoAuditStore,
  type MongoAuditStore,
  chainRecords,
  decryptRecord,
  headOf,
  isEncryptedValue,
  parseEncryptionKey,
  recordFromEvent,
  sealRecord,
  verifyStoredChain,
  type AuditCheckpointDocument,
  type AuditEventDocument,
  type AuditRecord,
  type IncomingAuditEvent,
} from "../src/index.ts";

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);
const encryptionKey = parseEncryptionKey(randomBytes(32).toString("base64"));
const encryptor = new FieldEncryptor({
  key: encryptionKey,
  paths: ["data.message.body", "data.request.message.body"],
});

let client: MongoClient;
const databases: Db[] = [];

beforeAll(async () => {
  client = await MongoClient.connect(testServers().mongoUrl);
});

afterAll(async () => {
  for (const db of databases) await db.dropDatabase().catch(() => undefined);
  await client.close();
});

type Fixture = {
  db: Db;
  store: MongoAuditStore;
  /** Raw driver handles, to tamper as someone with database access would. */
  events: Collection<AuditEventDocument>;
  checkpoints: Collection<AuditCheckpointDocument>;
};

async function fresh(): Promise<Fixture> {
  const db = client.db(uniqueName("audit"));
  databases.push(db);
  const store = createMongoAuditStore(db);
  await store.ensureIndexes();
  return {
    db,
    store,
    events: db.collection<AuditEventDocument>(AUDIT_EVENTS_COLLECTION),
    checkpoints: db.collection<AuditCheckpointDocument>(AUDIT_CHECKPOINTS_COLLECTION),
  };
}

/** A chain of `count` records written by AuditWriter in batches of 50, checkpointed every 50. */
async function chainOf(count: number): Promise<Fixture> {
  const f = await fresh();
  const writer = createAuditWriter({ store: f.store, encryptor });
  const checkpointer = createCheckpointer({ store: f.store, signer, every: 50, intervalMs: 3_600_000 });
  for (let i = 0; i < count; i += 50) {
    const { head } = await writer.write(sampleIncoming(i, Math.min(50, count - i)));
    await checkpointer.maybeCheckpoint(head);
  }
  return f;
}

const verify = (f: Fixture) =>
  verifyStoredChain({ store: f.store, publicKeys: signer.publicKey }, { chunkSize: 64 });

function shuffledSample<T>(items: readonly T[], count: number, seed: number): T[] {
  const out: T[] = [];
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const item = items[s % items.length];
    if (item !== undefined) out.push(item);
  }
  return out;
}

describe("MongoAuditStore on a real Mongo-wire server", () => {
  it("appends 1,000 events in batches with redeliveries and a restart; the chain verifies from the database", async () => {
    const f = await fresh();
    const events = sampleIncoming(0, 1000);
    let writer = createAuditWriter({ store: f.store, encryptor });
    let checkpointer = createCheckpointer({ store: f.store, signer, every: 100, intervalMs: 3_600_000 });

    const started = performance.now();
    let delivered = 0;
    let committed = 0;
    let acked = 0;
    for (let b = 0; b < 10; b++) {
      if (b === 5) {
        // kill -9 and restart: new writer, head from the database
        writer = createAuditWriter({ store: f.store, encryptor });
        checkpointer = createCheckpointer({ store: f.store, signer, every: 100, intervalMs: 3_600_000 });
      }
      const fresh100 = events.slice(b * 100, b * 100 + 100);
      const redelivered = shuffledSample(events.slice(0, b * 100 + 100), 15, b + 1); // earlier and same-batch events again
      const batch: IncomingAuditEvent[] = [...fresh100, ...redelivered];
      const result = await writer.write(batch);
      delivered += batch.length;
      committed += result.committed.length;
      acked += result.toAck.length;
      await checkpointer.maybeCheckpoint(result.head);
    }
    const seconds = (performance.now() - started) / 1000;

    expect(committed).toBe(1000);
    expect(acked).toBe(delivered);
    expect(await f.events.countDocuments()).toBe(1000);
    const seqs = (
      await f.events
        .find({}, { projection: { seq: 1 } })
        .sort({ seq: 1 })
        .toArray()
    ).map((d) => d.seq);
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));

    const verifyStarted = performance.now();
    const result = await verify(f);
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    expect(result).toMatchObject({ ok: true, count: 1000, lastSeq: 1000, checkpointsChecked: 10 });
    console.info(
      `[audit it] ${delivered} deliveries → 1000 records in ${seconds.toFixed(2)} s (${Math.round(delivered / seconds)} events/s through AuditWriter); ` +
        `verify from the database ${Math.round(1000 / verifySeconds)} records/s`,
    );
  });

  it("stores records byte-for-byte as hashed: canonical key order survives, ciphertext in place of clear text", async () => {
    const f = await chainOf(30);
    const records = await f.store.range(1, 30);
    for (const r of records) {
      const { hash: _h, ...content } = r;
      expect(JSON.stringify(content)).toBe(canonicalize(content)); // the fast verification path applies
    }
    const raw = await f.events.findOne({ seq: 1 });
    expect(JSON.stringify(raw)).not.toContain("your refund");
    const request = (raw?.data as { message?: { body?: unknown } } | undefined)?.message?.body;
    expect(isEncryptedValue(request)).toBe(true);
    const [first] = records;
    if (first === undefined) throw new Error("no record");
    expect(JSON.stringify(decryptRecord(first, encryptionKey))).toContain("your refund");
  });

  it("reports duplicate events, taken seqs and stale heads without writing past them", async () => {
    const f = await chainOf(5);
    const head = headOf(await f.store.lastRecord());
    const drafts = sampleIncoming(3, 4).map((e) =>
      recordFromEvent(e.envelope, e.subject, { receivedAt: new Date() }),
    );

    // evt-3 and evt-4 are recorded: the insert stops at the first, nothing after it lands.
    const dup = chainRecords(drafts, head, new Date());
    expect(await f.store.appendBatch(dup)).toEqual({
      written: 0,
      stoppedBy: { reason: "duplicate_event", index: 0, eventId: "evt-3" },
    });

    // New events chained after seq 2 (a stale view): seq 3 is taken.
    const newDrafts = sampleIncoming(100, 2).map((e) =>
      recordFromEvent(e.envelope, e.subject, { receivedAt: new Date() }),
    );
    const atTwo = headOf((await f.store.range(2, 2))[0]);
    expect(await f.store.appendBatch(chainRecords(newDrafts, atTwo, new Date()))).toEqual({
      written: 0,
      stoppedBy: { reason: "seq_taken", index: 0, seq: 3 },
    });

    // Chained after a head that is not in the database: refused before inserting anything.
    const bogus = { seq: head.seq, hash: "e".repeat(64) };
    expect(await f.store.appendBatch(chainRecords(newDrafts, bogus, new Date()))).toMatchObject({
      written: 0,
      stoppedBy: { reason: "stale_head", seq: head.seq + 1 },
    });
    const gap = { seq: head.seq + 3, hash: head.hash };
    expect((await f.store.appendBatch(chainRecords(newDrafts, gap, new Date()))).stoppedBy?.reason).toBe(
      "stale_head",
    );

    // A batch whose middle event is a redelivery: the prefix lands, the rest is reported.
    const mixed = [newDrafts[0], drafts[0], newDrafts[1]].filter((d) => d !== undefined);
    expect(await f.store.appendBatch(chainRecords(mixed, head, new Date()))).toEqual({
      written: 1,
      stoppedBy: { reason: "duplicate_event", index: 1, eventId: "evt-3" },
    });
    expect(await f.events.countDocuments()).toBe(6);
    expect(await verify(f)).toMatchObject({ ok: true, count: 6 });
  });

  it("an insert larger than the server's own insert batches still stops at a duplicate: nothing after it lands", async () => {
    // FerretDB 1.24 runs an insert command in batches of its --test-batch-size (100) and, after a
    // duplicate key in one batch, goes on with the next: an "ordered" insert with a hole in it.
    // After a store outage that forked the chain (test/fault/audit-store-outage.test.ts, ADR 0007).
    const f = await chainOf(5);
    const head = headOf(await f.store.lastRecord());
    const drafts = sampleIncoming(1_000, 250).map((e) =>
      recordFromEvent(e.envelope, e.subject, { receivedAt: new Date() }),
    );
    const recorded = recordFromEvent(sampleIncoming(2, 1)[0]?.envelope, "warden.x", {
      receivedAt: new Date(),
    });
    drafts[120] = recorded; // evt-2, stored at seq 3: a redelivery in the batch's second hundred
    const records = chainRecords(drafts, head, new Date());

    expect(await f.store.appendBatch(records)).toEqual({
      written: 120,
      stoppedBy: { reason: "duplicate_event", index: 120, eventId: "evt-2" },
    });
    expect(await f.events.countDocuments({ seq: { $gt: head.seq + 120 } })).toBe(0);
    expect(await verify(f)).toMatchObject({ ok: true, count: 125 });

    // CONTROL: the same records in one raw ordered insert. Where the server honours "ordered" (as
    // MongoDB does) nothing after the duplicate lands either; FerretDB 1.24 lands its third batch.
    const g = await chainOf(5);
    const raw = await g.events
      .insertMany(
        records.map((r) => ({ _id: r.eventId, ...r })),
        { ordered: true },
      )
      .catch((err: unknown) => err);
    expect(raw).toMatchObject({ writeErrors: [expect.objectContaining({ index: 120 })] });
    const landedPastIt = await g.events.countDocuments({ seq: { $gt: head.seq + 121 } });
    const server = await client.db("admin").command({ buildInfo: 1 });
    if (String(server.ferretdbVersion ?? "").startsWith("v1.")) expect(landedPastIt).toBe(50);
    else expect(landedPastIt).toBe(0);
  });

  it("a record that would leave a gap is refused, even on an empty database", async () => {
    const f = await fresh();
    const [r] = chainRecords(
      sampleIncoming(0, 1).map((e) => recordFromEvent(e.envelope, e.subject, { receivedAt: new Date() })),
      EMPTY_CHAIN,
      new Date(),
    );
    if (r === undefined) throw new Error("no record");
    expect(await f.store.appendBatch([{ ...r, seq: 2 }])).toMatchObject({
      stoppedBy: { reason: "stale_head" },
    });
  });

  it("two writers on one database never fork the chain", async () => {
    const f = await fresh();
    const a = createAuditWriter({ store: f.store, maxConflictRetries: 50 });
    const b = createAuditWriter({ store: f.store, maxConflictRetries: 50 });
    const events = sampleIncoming(0, 300);
    // Overlapping batches, so both writers also see each other's events as redeliveries.
    await Promise.all(
      Array.from({ length: 15 }, (_, i) => (i % 2 === 0 ? a : b).write(events.slice(i * 20, i * 20 + 40))),
    );
    expect(await f.events.countDocuments()).toBe(300);
    expect(await verify(f)).toMatchObject({ ok: true, count: 300 });
  });

  it("queries by type prefix, action, actor, agent, environment and time, paged by seq", async () => {
    const f = await chainOf(30);
    const page1 = await f.store.query({ types: ["warden.decision.*"] }, { size: 4 });
    expect(page1.items.map((r) => r.seq)).toEqual([2, 5, 8, 11]);
    const page2 = await f.store.query(
      { types: ["warden.decision.*"] },
      { size: 100, afterSeq: page1.nextAfterSeq ?? 0 },
    );
    expect(page2.items.map((r) => r.seq)).toEqual([14, 17, 20, 23, 26, 29]);
    expect(page2.nextAfterSeq).toBeNull();
    expect(
      (await f.store.query({ actionId: "act-000002" }, { size: 10 })).items.map((r) => r.eventId),
    ).toEqual(["evt-6", "evt-7", "evt-8"]);
    expect(
      (await f.store.query({ actorId: "dana", types: ["warden.approval.vote_cast"] }, { size: 100 })).items,
    ).toHaveLength(10);
    // The actor's type narrows too: agent-3 is an ai_agent, never a human of that name.
    expect(
      (await f.store.query({ actorId: "agent-3", actorType: "ai_agent" }, { size: 100 })).items,
    ).not.toEqual([]);
    expect((await f.store.query({ actorId: "agent-3", actorType: "human" }, { size: 100 })).items).toEqual(
      [],
    );
    expect(
      (await f.store.query({ agentId: "agent-0", environment: "production" }, { size: 10 })).items.map(
        (r) => r.seq,
      ),
    ).toEqual([1, 22]);
    const window = await f.store.query(
      { timeFrom: "2025-01-01T00:00:05.000Z", timeTo: "2025-01-01T00:00:08.000Z" },
      { size: 10 },
    );
    expect(window.items.map((r) => r.seq)).toEqual([6, 7, 8]);
  });

  it("saves a checkpoint once per seq and lists them in order", async () => {
    const f = await chainOf(120);
    expect((await f.store.checkpoints({ fromSeq: 1 })).map((c) => c.seq)).toEqual([50, 100]);
    await f.store.saveCheckpoint(signer.sign(headOf(await f.store.lastRecord()), new Date()));
    await f.store.saveCheckpoint(signer.sign(headOf((await f.store.range(100, 100))[0]), new Date())); // again: a no-op
    expect((await f.store.checkpoints({ fromSeq: 60, toSeq: 110 })).map((c) => c.seq)).toEqual([100]);
    expect(await f.store.latestCheckpoint()).toMatchObject({ seq: 120 });
    expect(await f.checkpoints.countDocuments()).toBe(3);
  });
});

describe("tampering inside the database is detected with the right seq", () => {
  // 200 records, signed checkpoints at 50, 100, 150, 200.
  it("CONTROL: an untouched log verifies", async () => {
    expect(await verify(await chainOf(200))).toMatchObject({ ok: true, count: 200, checkpointsChecked: 4 });
  });

  it("modified: a field changed in place", async () => {
    const f = await chainOf(200);
    await f.events.updateOne({ seq: 57 }, { $set: { "what.target": "service/elsewhere" } });
    expect(await verify(f)).toMatchObject({ ok: false, firstBadSeq: 57, problem: "modified" });
  });

  it("missing: a record deleted", async () => {
    const f = await chainOf(200);
    await f.events.deleteOne({ seq: 80 });
    expect(await verify(f)).toMatchObject({ ok: false, firstBadSeq: 80, problem: "missing" });
  });

  it("reordered: two records' seqs swapped", async () => {
    const f = await chainOf(200);
    await f.events.updateOne({ seq: 40 }, { $set: { seq: -40 } });
    await f.events.updateOne({ seq: 41 }, { $set: { seq: 40 } });
    await f.events.updateOne({ seq: -40 }, { $set: { seq: 41 } });
    expect(await verify(f)).toMatchObject({ ok: false, firstBadSeq: 40, problem: "reordered" });
  });

  it("truncated: the tail deleted", async () => {
    const f = await chainOf(200);
    await f.events.deleteMany({ seq: { $gt: 150 } });
    expect(await verify(f)).toMatchObject({ ok: false, firstBadSeq: 151, problem: "truncated" });
  });

  it("rewritten: a record changed and every later hash recomputed", async () => {
    const f = await chainOf(200);
    const tail = await f.store.range(120, 200);
    let prev = headOf((await f.store.range(119, 119))[0]);
    for (const original of tail) {
      const {
        hash: _h,
        seq,
        prevHash: _p,
        recordedAt,
        retainUntil: _r,
        hashVersion: _v,
        ...draft
      } = original;
      const changed = seq === 120 ? { ...draft, outcome: "deny" } : draft;
      const rewritten: AuditRecord = sealRecord(changed, {
        seq,
        prevHash: prev.hash,
        recordedAt: new Date(recordedAt),
      });
      await f.events.replaceOne({ seq }, rewritten);
      prev = headOf(rewritten);
    }
    expect(await verify(f)).toMatchObject({
      ok: false,
      firstBadSeq: 150,
      problem: "rewritten",
      suspectFromSeq: 101,
    });
  });

  it("bad_signature: a stored checkpoint altered to match a rewrite", async () => {
    const f = await chainOf(200);
    await f.checkpoints.updateOne({ _id: 100 }, { $set: { hash: "f".repeat(64) } });
    expect(await verify(f)).toMatchObject({ ok: false, firstBadSeq: 100, problem: "bad_signature" });
  });
});
