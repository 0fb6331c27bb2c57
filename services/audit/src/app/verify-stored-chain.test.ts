import { generateKeyPairSync } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createInMemoryAuditStore,
  type InMemoryAuditStore,
} from "../adapters/fakes/in-memory-audit-store.ts";
import { sampleIncoming } from "../testing/sample-events.ts";
import { CheckpointSigner } from "../domain/checkpoint.ts";
import { createAuditWriter } from "./audit-writer.ts";
import { createCheckpointer } from "./checkpointer.ts";
import { verifyStoredChain } from "./verify-stored-chain.ts";

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);

describe("verifyStoredChain (paged)", () => {
  let store: InMemoryAuditStore;

  beforeEach(async () => {
    store = createInMemoryAuditStore();
    const writer = createAuditWriter({ store });
    const checkpointer = createCheckpointer({ store, signer, every: 25, intervalMs: 3_600_000 });
    for (let i = 0; i < 100; i += 10) {
      const { head } = await writer.write(sampleIncoming(i, 10));
      await checkpointer.maybeCheckpoint(head);
    }
  });

  const verify = (request = {}) =>
    verifyStoredChain({ store, publicKeys: signer.publicKey }, { chunkSize: 7, ...request });

  it("CONTROL: verifies chunk by chunk", async () => {
    expect(await verify()).toMatchObject({ ok: true, count: 100, lastSeq: 100, checkpointsChecked: 4 });
    expect(await verify({ fromSeq: 31, toSeq: 64 })).toMatchObject({ ok: true, count: 34, lastSeq: 64 });
  });

  it("says when a range asked beyond the head was cut there, and where the checkpoints came from", async () => {
    expect(await verify({ fromSeq: 1, toSeq: 99_999 })).toMatchObject({
      ok: true,
      lastSeq: 100,
      count: 100,
      rangeCutAtHead: true,
      checkpointSource: "database",
    });
    expect(await verify({ fromSeq: 1, toSeq: 100 })).toMatchObject({ ok: true, rangeCutAtHead: false });
    expect(await verify({ fromSeq: 31, toSeq: 64 })).toMatchObject({ ok: true, rangeCutAtHead: false });
    expect(await verify()).toMatchObject({ ok: true, rangeCutAtHead: false });
    const external = await store.checkpoints({ fromSeq: 1 });
    expect(await verify({ checkpoints: external })).toMatchObject({ ok: true, checkpointSource: "stream" });
  });

  it("finds a record missing at a chunk boundary", async () => {
    const records = store.unsafeRecords();
    records.splice(
      records.findIndex((r) => r.seq === 8),
      1,
    ); // first seq of the second chunk
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 8, problem: "missing" });
  });

  it("finds a truncated tail past the last checkpoint", async () => {
    store.unsafeRecords().splice(95);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 96, problem: "truncated" });
  });

  it("checks the seam before a range that starts later", async () => {
    const r = store.unsafeRecords().find((x) => x.seq === 40);
    if (r === undefined) throw new Error("no seq 40");
    r.hash = "f".repeat(64);
    expect(await verify({ fromSeq: 41 })).toMatchObject({ ok: false, firstBadSeq: 41, problem: "modified" });
  });

  it("checks against checkpoints given from outside the database", async () => {
    const external = await store.checkpoints({ fromSeq: 1 });
    store.unsafeCheckpoints().clear(); // an attacker removed them from the database
    store.unsafeRecords().splice(60);
    expect(await verify()).toMatchObject({ ok: true }); // nothing left to compare with…
    expect(await verify({ checkpoints: external })).toMatchObject({
      ok: false,
      firstBadSeq: 61,
      problem: "truncated",
    });
  });
});
