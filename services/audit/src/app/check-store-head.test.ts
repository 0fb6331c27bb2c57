import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createInMemoryAuditStore } from "../adapters/fakes/in-memory-audit-store.ts";
import { InMemoryRecordPublisher } from "../adapters/fakes/in-memory-ports.ts";
import { CheckpointSigner } from "../domain/checkpoint.ts";
import { sampleIncoming } from "../testing/sample-events.ts";
import { createAuditRecorder } from "./audit-recorder.ts";
import { createAuditWriter } from "./audit-writer.ts";
import { checkStoreHead } from "./check-store-head.ts";
import { createCheckpointer } from "./checkpointer.ts";

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);

/** 30 records written, published and checkpointed (every 10), then the recorder stopped. */
async function published() {
  const store = createInMemoryAuditStore();
  const publisher = new InMemoryRecordPublisher();
  const writer = createAuditWriter({ store });
  const checkpointer = createCheckpointer({ store, signer, every: 10, intervalMs: 3_600_000 });
  const recorder = createAuditRecorder({ writer, checkpointer, store, publisher });
  await recorder.start();
  for (let i = 0; i < 30; i += 10) await recorder.record(sampleIncoming(i, 10));
  await recorder.stop();
  expect(publisher.checkpoints.at(-1)?.seq).toBe(30);
  return { store, publisher };
}

describe("checkStoreHead", () => {
  it("CONTROL: an intact store is behind nothing", async () => {
    const { store, publisher } = await published();
    const writer = createAuditWriter({ store });
    expect(await checkStoreHead({ head: () => writer.head(), published: publisher })).toEqual([]);
  });

  it("a store is behind nothing while the stream lags it (the outbox has not caught up)", async () => {
    const { store, publisher } = await published();
    publisher.records.splice(20);
    publisher.checkpoints.splice(1);
    const writer = createAuditWriter({ store });
    expect(await checkStoreHead({ head: () => writer.head(), published: publisher })).toEqual([]);
  });

  it("names both when the tail was truncated under a signed checkpoint", async () => {
    const { store, publisher } = await published();
    store.unsafeRecords().splice(15); // seqs 16..30 gone, as are the database's checkpoints
    store.unsafeCheckpoints().clear();
    const writer = createAuditWriter({ store });
    expect(await checkStoreHead({ head: () => writer.head(), published: publisher })).toEqual([
      { source: "checkpoint", storeHeadSeq: 15, expectedSeq: 30 },
      { source: "stream", storeHeadSeq: 15, expectedSeq: 30 },
    ]);
  });

  it("names the stream alone when the store lost records published after the last checkpoint", async () => {
    const { store, publisher } = await published();
    const writer = createAuditWriter({ store });
    const more = await writer.write(sampleIncoming(30, 5)); // 31..35, published, not checkpointed
    await publisher.publishRecords(more.committed.map((c) => c.record));
    store.unsafeRecords().splice(32);
    const restarted = createAuditWriter({ store });
    expect(await checkStoreHead({ head: () => restarted.head(), published: publisher })).toEqual([
      { source: "stream", storeHeadSeq: 32, expectedSeq: 35 },
    ]);
  });
});
