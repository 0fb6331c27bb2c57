import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createInMemoryAuditStore,
  type InMemoryAuditStore,
} from "../adapters/fakes/in-memory-audit-store.ts";
import { sampleIncoming } from "../testing/sample-events.ts";
import { CheckpointSigner } from "../domain/checkpoint.ts";
import { ChainConflictError } from "../domain/errors.ts";
import { GENESIS_HASH } from "../domain/hash-chain.ts";
import type { AppendResult, AuditStore } from "./ports.ts";
import { createAuditWriter, type IncomingAuditEvent } from "./audit-writer.ts";
import { verifyStoredChain } from "./verify-stored-chain.ts";

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);

type Delivery = IncomingAuditEvent & { delivery: number };

function deliveries(from: number, count: number, delivery: number): Delivery[] {
  return sampleIncoming(from, count).map((e) => ({ ...e, delivery }));
}

/** Deterministic shuffle (a little LCG), so failures reproduce. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function expectIntactChain(store: InMemoryAuditStore, count: number): Promise<void> {
  const records = await store.range(1, Number.MAX_SAFE_INTEGER);
  expect(records.map((r) => r.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect(new Set(records.map((r) => r.eventId)).size).toBe(count);
  expect(await verifyStoredChain({ store, publicKeys: signer.publicKey })).toMatchObject({ ok: true, count });
}

describe("AuditWriter", () => {
  it("records each event once when every event is delivered three times", async () => {
    const store = createInMemoryAuditStore();
    const writer = createAuditWriter({ store });
    // 60 events × 3 deliveries, shuffled, in batches of 25: duplicates land in the same batch and across batches.
    const all = shuffled([...deliveries(0, 60, 1), ...deliveries(0, 60, 2), ...deliveries(0, 60, 3)], 7);
    let acked = 0;
    let committed = 0;
    for (let i = 0; i < all.length; i += 25) {
      const batch = all.slice(i, i + 25);
      const result = await writer.write(batch);
      expect(result.toAck).toHaveLength(batch.length); // everything is acknowledged, after the write
      acked += result.toAck.length;
      committed += result.committed.length;
      expect(result.committed.length + result.duplicates.length).toBe(batch.length);
    }
    expect(acked).toBe(180);
    expect(committed).toBe(60);
    await expectIntactChain(store, 60);
  });

  it("returns committed records in seq order with the head after the write", async () => {
    const store = createInMemoryAuditStore();
    const writer = createAuditWriter({ store, clock: () => new Date("2025-05-05T05:05:05Z") });
    const result = await writer.write(sampleIncoming(0, 3));
    expect(result.committed.map((c) => [c.record.seq, c.record.eventId])).toEqual([
      [1, "evt-0"],
      [2, "evt-1"],
      [3, "evt-2"],
    ]);
    expect(result.committed[0]?.record.prevHash).toBe(GENESIS_HASH);
    expect(result.committed[0]?.record.recordedAt).toBe("2025-05-05T05:05:05.000Z");
    expect(result.head).toEqual({ seq: 3, hash: result.committed[2]?.record.hash });
    expect(await writer.write([])).toMatchObject({ committed: [], toAck: [], head: result.head });
  });

  it("resumes from the last committed seq after a restart", async () => {
    const store = createInMemoryAuditStore();
    await createAuditWriter({ store }).write(sampleIncoming(0, 10));
    const restarted = createAuditWriter({ store });
    // The crash happened before the acks: the first five come again, with five new ones.
    const result = await restarted.write(sampleIncoming(5, 10));
    expect(result.duplicates.map((d) => d.eventId)).toEqual(["evt-5", "evt-6", "evt-7", "evt-8", "evt-9"]);
    expect(result.committed.map((c) => c.record.seq)).toEqual([11, 12, 13, 14, 15]);
    await expectIntactChain(store, 15);
  });

  it("never forks when two writers append to the same store concurrently", async () => {
    const store = createInMemoryAuditStore();
    const a = createAuditWriter({ store, maxConflictRetries: 100 });
    const b = createAuditWriter({ store, maxConflictRetries: 100 });
    const events = sampleIncoming(0, 200);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).write(events.slice(i * 10, i * 10 + 20))),
    );
    await expectIntactChain(store, 200);
  });

  it("skips an event recorded beyond its dedupe window (the store refuses it), and re-chains the rest", async () => {
    const store = createInMemoryAuditStore();
    const writer = createAuditWriter({ store });
    await writer.write(sampleIncoming(100, 1)); // primes the writer's window
    await createAuditWriter({ store }).write(sampleIncoming(3, 1)); // evt-3 recorded by another writer
    const result = await writer.write(sampleIncoming(0, 6));
    expect(result.duplicates.map((d) => d.eventId)).toEqual(["evt-3"]);
    expect(result.committed.map((c) => [c.record.seq, c.record.eventId])).toEqual([
      [3, "evt-0"],
      [4, "evt-1"],
      [5, "evt-2"],
      [6, "evt-4"],
      [7, "evt-5"],
    ]);
    expect(result.toAck).toHaveLength(6);
    await expectIntactChain(store, 7);
  });

  it("remembers only the configured window, and the store still catches older redeliveries", async () => {
    const store = createInMemoryAuditStore();
    const writer = createAuditWriter({ store, dedupeWindow: 5 });
    await writer.write(sampleIncoming(0, 20));
    const again = await writer.write(sampleIncoming(0, 20));
    expect(again.committed).toHaveLength(0);
    expect(again.duplicates).toHaveLength(20);
    await expectIntactChain(store, 20);
  });

  it("reloads the head after a failed write, and gives up on a store that keeps moving", async () => {
    const inner = createInMemoryAuditStore();
    let fail = true;
    const flaky: AuditStore = {
      ...bindAll(inner),
      appendBatch: (records) => {
        if (fail) return Promise.reject(new Error("connection reset"));
        return inner.appendBatch(records);
      },
    };
    const writer = createAuditWriter({ store: flaky });
    await expect(writer.write(sampleIncoming(0, 3))).rejects.toThrow("connection reset");
    fail = false;
    expect((await writer.write(sampleIncoming(0, 3))).committed).toHaveLength(3);

    const moving: AuditStore = {
      ...bindAll(inner),
      appendBatch: (records): Promise<AppendResult> =>
        Promise.resolve({
          written: 0,
          stoppedBy: { reason: "seq_taken", index: 0, seq: records[0]?.seq ?? 0 },
        }),
    };
    await expect(
      createAuditWriter({ store: moving, maxConflictRetries: 2 }).write(sampleIncoming(10, 1)),
    ).rejects.toThrow(ChainConflictError);
  });

  it("after a write that failed half-way, the redelivery skips what landed with one lookup", async () => {
    const inner = createInMemoryAuditStore();
    let failHalfWay = true;
    let lookups = 0;
    const store: AuditStore = {
      ...bindAll(inner),
      async appendBatch(records) {
        if (!failHalfWay) return inner.appendBatch(records);
        failHalfWay = false;
        await inner.appendBatch(records.slice(0, 60)); // 60 landed, then the connection dropped
        throw new Error("injected: ECONNRESET");
      },
      existingEventIds: (ids) => {
        lookups++;
        return inner.existingEventIds(ids);
      },
    };
    const writer = createAuditWriter({ store });
    await expect(writer.write(deliveries(0, 100, 1))).rejects.toThrow(/ECONNRESET/);
    const retry = await writer.write(deliveries(0, 100, 2)); // the redelivery
    expect(retry.duplicates).toHaveLength(60);
    expect(retry.committed).toHaveLength(40);
    expect(retry.toAck).toHaveLength(100);
    expect(lookups).toBe(1);
    await expectIntactChain(inner, 100);
  });

  it("serialises concurrent write() calls of one writer", async () => {
    const store = createInMemoryAuditStore();
    const writer = createAuditWriter({ store });
    await Promise.all([0, 1, 2, 3].map((i) => writer.write(sampleIncoming(i * 5, 5))));
    await expectIntactChain(store, 20);
  });
});

function bindAll(store: InMemoryAuditStore): AuditStore {
  return {
    lastRecord: () => store.lastRecord(),
    existingEventIds: (ids) => store.existingEventIds(ids),
    recentEvents: (limit) => store.recentEvents(limit),
    stream: (from, to) => store.stream(from, to),
    appendBatch: (records) => store.appendBatch(records),
    range: (from, to, limit) => store.range(from, to, limit),
    query: (filter, page) => store.query(filter, page),
    find: (filter, afterSeq) => store.find(filter, afterSeq),
    saveCheckpoint: (cp) => store.saveCheckpoint(cp),
    checkpoints: (range) => store.checkpoints(range),
    latestCheckpoint: () => store.latestCheckpoint(),
  };
}
