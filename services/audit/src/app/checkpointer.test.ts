import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createInMemoryAuditStore } from "../adapters/fakes/in-memory-audit-store.ts";
import { CheckpointSigner, verifyCheckpointSignature } from "../domain/checkpoint.ts";
import { createCheckpointer } from "./checkpointer.ts";

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);
const head = (seq: number) => ({ seq, hash: seq.toString(16).padStart(64, "0") });

describe("Checkpointer", () => {
  it("signs every N records or after T ms, only when the head moved", async () => {
    const store = createInMemoryAuditStore();
    let now = Date.UTC(2025, 0, 1);
    const checkpointer = createCheckpointer({
      store,
      signer,
      every: 100,
      intervalMs: 60_000,
      clock: () => new Date(now),
    });

    const first = await checkpointer.maybeCheckpoint(head(5)); // the first one is due at once
    expect(first).toMatchObject({ seq: 5, keyId: signer.keyId });
    expect(first && verifyCheckpointSignature(first, signer.publicKey)).toBe(true);
    expect(await checkpointer.maybeCheckpoint(head(50))).toBeNull();
    expect(await checkpointer.maybeCheckpoint(head(105))).toMatchObject({ seq: 105 }); // N records
    now += 60_000;
    expect(await checkpointer.maybeCheckpoint(head(105))).toBeNull(); // nothing new
    expect(await checkpointer.maybeCheckpoint(head(106))).toMatchObject({ seq: 106 }); // T elapsed
    expect((await store.checkpoints({ fromSeq: 1 })).map((c) => c.seq)).toEqual([5, 105, 106]);
  });

  it("continues from the stored latest checkpoint after a restart", async () => {
    const store = createInMemoryAuditStore();
    const now = Date.UTC(2025, 0, 1);
    await createCheckpointer({
      store,
      signer,
      every: 10,
      intervalMs: 60_000,
      clock: () => new Date(now),
    }).checkpoint(head(40));
    const restarted = createCheckpointer({
      store,
      signer,
      every: 10,
      intervalMs: 60_000,
      clock: () => new Date(now + 1000),
    });
    expect(await restarted.isDue(head(45))).toBe(false);
    expect(await restarted.isDue(head(50))).toBe(true);
  });

  it("refuses nonsense settings", () => {
    const store = createInMemoryAuditStore();
    expect(() => createCheckpointer({ store, signer, every: 0, intervalMs: 1 })).toThrow(RangeError);
    expect(() => createCheckpointer({ store, signer, every: 1, intervalMs: 0 })).toThrow(RangeError);
  });
});
