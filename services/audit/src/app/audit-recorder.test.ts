import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import {
  createInMemoryAuditStore,
  type InMemoryAuditStore,
} from "../adapters/fakes/in-memory-audit-store.ts";
import { InMemoryRecordPublisher } from "../adapters/fakes/in-memory-ports.ts";
import { sampleIncoming } from "../testing/sample-events.ts";
import { CheckpointSigner } from "../domain/checkpoint.ts";
import { verifyChain } from "../domain/verify-chain.ts";
import { createAuditRecorder } from "./audit-recorder.ts";
import { createAuditWriter } from "./audit-writer.ts";
import { createCheckpointer } from "./checkpointer.ts";

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);

function recorder(store: InMemoryAuditStore, publisher: InMemoryRecordPublisher, every = 10) {
  return createAuditRecorder({
    writer: createAuditWriter({ store }),
    checkpointer: createCheckpointer({ store, signer, every, intervalMs: 3_600_000 }),
    store,
    publisher,
    retryDelayMs: 1,
  });
}

const POLL = { timeout: 1_000, interval: 2 };

describe("AuditRecorder", () => {
  it("publishes committed records in seq order, with checkpoints after the records they cover", async () => {
    const store = createInMemoryAuditStore();
    const publisher = new InMemoryRecordPublisher();
    const r = recorder(store, publisher);
    await r.start();
    for (let i = 0; i < 5; i++) await r.record(sampleIncoming(i * 7, 7));
    await expect.poll(() => publisher.records.length, POLL).toBe(35);
    await r.stop();
    expect(publisher.records.map((x) => x.seq)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(publisher.checkpoints.map((c) => c.seq)).toEqual([7, 21, 35]); // the first at once, then every 10+
    expect(verifyChain(publisher.records, publisher.checkpoints, signer.publicKey)).toMatchObject({
      ok: true,
      count: 35,
    });
  });

  it("retries a failed publish until it succeeds, and the write path does not wait for it", async () => {
    const store = createInMemoryAuditStore();
    const publisher = new InMemoryRecordPublisher();
    const r = recorder(store, publisher);
    await r.start();
    publisher.failures = 3;
    const result = await r.record(sampleIncoming(0, 5));
    expect(result.committed).toHaveLength(5);
    await expect.poll(() => publisher.records.length, POLL).toBe(5);
    await r.stop();
  });

  it("after a crash between commit and publish, the next start publishes what is missing", async () => {
    const store = createInMemoryAuditStore();
    const publisher = new InMemoryRecordPublisher();
    const first = recorder(store, publisher);
    await first.start();
    await first.record(sampleIncoming(0, 10));
    await expect.poll(() => publisher.records.length, POLL).toBe(10);
    publisher.failures = 1_000; // the stream is unreachable: nothing more gets out
    await first.record(sampleIncoming(10, 10));
    await first.stop(10); // "crash": 10 committed records never published

    publisher.failures = 0;
    const second = recorder(store, publisher);
    await second.start();
    await expect.poll(() => publisher.records.length, POLL).toBe(20);
    await second.stop();
    expect(publisher.records.map((x) => x.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // The checkpoint signed while the stream was unreachable (seq 20) was published by the restart.
    expect(publisher.checkpoints.map((c) => c.seq)).toEqual([10, 20]);
  });

  it("checkpoints on its timer a head that a crashed predecessor committed but never checkpointed", async () => {
    const store = createInMemoryAuditStore();
    const publisher = new InMemoryRecordPublisher();
    const first = recorder(store, publisher, 1_000);
    await first.start();
    await first.record(sampleIncoming(0, 10)); // the first checkpoint is due at once: seq 10
    // Committed, not yet due for a checkpoint (N = 1,000 not reached), then the process dies.
    await first.record(sampleIncoming(10, 15));
    await expect.poll(() => publisher.records.length, POLL).toBe(25);
    await first.stop(10);
    expect(publisher.checkpoints.map((c) => c.seq)).toEqual([10]);

    // The successor commits nothing (no events are left); once T has passed its tick signs seq 25.
    const second = createAuditRecorder({
      writer: createAuditWriter({ store }),
      checkpointer: createCheckpointer({ store, signer, every: 1_000, intervalMs: 1 }),
      store,
      publisher,
      retryDelayMs: 1,
    });
    await second.start();
    // Tick until T (1 ms) has passed and the tick signs.
    await vi.waitFor(async () => {
      await second.tick();
      expect(publisher.checkpoints).toHaveLength(2);
    }, POLL);
    await second.stop();
    expect(publisher.checkpoints.map((c) => c.seq)).toEqual([10, 25]);
  });

  it("taking over from another writer, publishes that writer's unpublished tail first (once)", async () => {
    const store = createInMemoryAuditStore();
    const publisher = new InMemoryRecordPublisher();
    const standby = recorder(store, publisher);
    await standby.start(); // started while the chain was empty

    // The other replica commits 1..30 and publishes only 1..25 before dying.
    const other = createAuditWriter({ store });
    const written = await other.write(sampleIncoming(0, 30));
    await publisher.publishRecords(written.committed.slice(0, 25).map((c) => c.record));

    await standby.record(sampleIncoming(30, 5));
    await expect.poll(() => publisher.records.length, POLL).toBe(35);
    await standby.stop();
    expect(publisher.records.map((x) => x.seq)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    // 1..25 were not published twice: the standby asked the stream before filling the gap.
    expect(publisher.attempts.filter((s) => s <= 25)).toHaveLength(25);
  });
});
