import { generateKeyPairSync } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { InMemoryAuditStore } from "../adapters/fakes/in-memory-audit-store.ts";
import { sampleIncoming } from "../adapters/fakes/sample-events.ts";
import { CheckpointSigner } from "../domain/checkpoint.ts";
import { AuditWriter } from "./audit-writer.ts";
import { Checkpointer } from "./checkpointer.ts";
import type { AuditRecord } from "../domain/audit-record.ts";
import { sealRecord } from "../domain/hash-chain.ts";
import type { VerifyChainFailure } from "../domain/verify-chain.ts";
import {
  verifyStoredChain,
  verifyStoredChainInRanges,
  type VerifyStoredChainRequest,
} from "./verify-stored-chain.ts";

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);

describe("verifyStoredChain (paged)", () => {
  let store: InMemoryAuditStore;

  beforeEach(async () => {
    store = new InMemoryAuditStore();
    const writer = new AuditWriter({ store });
    const checkpointer = new Checkpointer({ store, signer, every: 25, intervalMs: 3_600_000 });
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

describe("verifyStoredChainInRanges (the chain cut into ranges verified at once)", () => {
  let store: InMemoryAuditStore;

  beforeEach(async () => {
    // 100 records, checkpoints at 25, 50, 75, 100; four ranges start at 1, 26, 51, 76.
    store = new InMemoryAuditStore();
    const writer = new AuditWriter({ store });
    const checkpointer = new Checkpointer({ store, signer, every: 25, intervalMs: 3_600_000 });
    for (let i = 0; i < 100; i += 25) {
      const { head } = await writer.write(sampleIncoming(i, 25));
      await checkpointer.maybeCheckpoint(head);
    }
  });

  const single = () => verifyStoredChain({ store, publicKeys: signer.publicKey }, { chunkSize: 7 });
  const inRanges = (parts: number) => {
    const ranges: VerifyStoredChainRequest[] = [];
    const verifyRange = (request: VerifyStoredChainRequest) => {
      ranges.push(request);
      return verifyStoredChain({ store, publicKeys: signer.publicKey }, { ...request, chunkSize: 7 });
    };
    return { ranges, result: verifyStoredChainInRanges({ store, verifyRange }, { parts }) };
  };
  const record = (seq: number): AuditRecord => {
    const found = store.unsafeRecords().find((r) => r.seq === seq);
    if (found === undefined) throw new Error(`no seq ${seq}`);
    return found;
  };
  const remove = (seq: number): void => {
    const records = store.unsafeRecords();
    records.splice(records.indexOf(record(seq)), 1);
  };
  const swap = (a: number, b: number): void => {
    const [ra, rb] = [record(a), record(b)];
    [ra.seq, rb.seq] = [b, a];
  };
  /** Changes seq `from` and recomputes every later hash, as an attacker with database access would. */
  const rewriteFrom = (from: number): void => {
    let prevHash = record(from - 1).hash;
    for (const r of [...store.unsafeRecords()].sort((a, b) => a.seq - b.seq)) {
      if (r.seq < from) continue;
      const { hash: _h, seq, prevHash: _p, recordedAt, retainUntil: _r, hashVersion: _v, ...draft } = r;
      const sealed = sealRecord(seq === from ? { ...draft, outcome: "deny" } : draft, {
        seq,
        prevHash,
        recordedAt: new Date(recordedAt),
      });
      Object.assign(r, sealed);
      prevHash = sealed.hash;
    }
  };

  it("CONTROL: verifies as four ranges, each from the stored hash before it, like one pass", async () => {
    const { ranges, result } = inRanges(4);
    expect(await result).toEqual(await single());
    expect(await result).toMatchObject({ ok: true, count: 100, lastSeq: 100, checkpointsChecked: 4 });
    expect(ranges.map((r) => [r.fromSeq, r.toSeq, r.lastCheckpointedSeq])).toEqual([
      [1, 25, undefined],
      [26, 50, 25],
      [51, 75, 50],
      [76, undefined, 75],
    ]);
    expect(ranges.slice(1).map((r) => r.expectedPrevHash)).toEqual([25, 50, 75].map((s) => record(s).hash));
  });

  it("CONTROL: more ranges than records, and an empty chain", async () => {
    expect(await inRanges(500).result).toMatchObject({ ok: true, count: 100, lastSeq: 100 });
    const empty = new InMemoryAuditStore();
    const verifyRange = (request: VerifyStoredChainRequest) =>
      verifyStoredChain({ store: empty, publicKeys: signer.publicKey }, request);
    expect(await verifyStoredChainInRanges({ store: empty, verifyRange }, { parts: 4 })).toMatchObject({
      ok: true,
      count: 0,
    });
  });

  it.each<[string, () => void, Partial<VerifyChainFailure>]>([
    [
      "a record modified inside a range",
      () => (record(60).outcome = "deny"),
      { firstBadSeq: 60, problem: "modified" },
    ],
    [
      "the last record of a range modified",
      () => (record(25).outcome = "deny"),
      { firstBadSeq: 25, problem: "modified" },
    ],
    [
      "the seam record's hash replaced",
      () => (record(50).hash = "f".repeat(64)),
      { firstBadSeq: 50, problem: "modified" },
    ],
    [
      "the first record of a range modified",
      () => (record(26).outcome = "deny"),
      { firstBadSeq: 26, problem: "modified" },
    ],
    ["a record missing at the end of a range", () => remove(25), { firstBadSeq: 25, problem: "missing" }],
    [
      "records missing across a cut",
      () => [74, 75, 76, 77].forEach(remove),
      { firstBadSeq: 74, problem: "missing" },
    ],
    ["a record missing at the start of a range", () => remove(51), { firstBadSeq: 51, problem: "missing" }],
    ["two records swapped inside a range", () => swap(40, 41), { firstBadSeq: 40, problem: "reordered" }],
    ["the tail cut", () => store.unsafeRecords().splice(90), { firstBadSeq: 91, problem: "truncated" }],
    [
      "a rewrite after the last checkpoint",
      () => rewriteFrom(60),
      { firstBadSeq: 75, problem: "rewritten", suspectFromSeq: 51 },
    ],
    [
      "a checkpoint's signature",
      () => {
        const cp = store.unsafeCheckpoints().get(50);
        if (cp !== undefined) store.unsafeCheckpoints().set(50, { ...cp, hash: "f".repeat(64) });
      },
      { firstBadSeq: 50, problem: "bad_signature" },
    ],
  ])("names the same first bad seq as one pass: %s", async (_what, tamper, expected) => {
    tamper();
    const one = await single();
    expect(one).toMatchObject({ ok: false, ...expected });
    // Same answer, in other words; `count` (records verified before the problem) depends on where
    // a pass stops after it, which for a bad signature is the end of its chunk or range.
    if (one.ok) throw new Error("expected a failure");
    const { detail: _d, count, ...rest } = one;
    expect(await inRanges(4).result).toMatchObject(
      one.problem === "bad_signature" ? rest : { ...rest, count },
    );
  });

  it("a swap across a cut is named at the same seq (classified as a change: its partner is in the other range)", async () => {
    swap(50, 51);
    const one = await single();
    const ranges = await inRanges(4).result;
    expect(one).toMatchObject({ ok: false, firstBadSeq: 50 });
    expect(ranges).toMatchObject({ ok: false, firstBadSeq: 50, count: one.count });
  });
});

describe("verifyStoredChainInRanges up to a seq past the head", () => {
  it("CONTROL: a range past the end of the chain is not reported missing", async () => {
    const store = new InMemoryAuditStore();
    await new AuditWriter({ store }).write(sampleIncoming(0, 30));
    const verifyRange = (request: VerifyStoredChainRequest) =>
      verifyStoredChain({ store, publicKeys: signer.publicKey }, request);
    const one = await verifyRange({ toSeq: 100 });
    expect(one).toMatchObject({ ok: true, count: 30, lastSeq: 30 });
    expect(await verifyStoredChainInRanges({ store, verifyRange }, { parts: 4, toSeq: 100 })).toEqual(one);
  });
});
