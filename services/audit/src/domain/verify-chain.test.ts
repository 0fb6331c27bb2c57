import { generateKeyPairSync } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { sampleEnvelope } from "../testing/sample-events.ts";
import type { AuditRecord } from "./audit-record.ts";
import { CheckpointSigner, type Checkpoint } from "./checkpoint.ts";
import { EMPTY_CHAIN, chainRecords, headOf, sealRecord } from "./hash-chain.ts";
import { recordFromEvent } from "./record-from-event.ts";
import { verifyChain } from "./verify-chain.ts";

const { privateKey } = generateKeyPairSync("ed25519");
const signer = new CheckpointSigner(privateKey);
const other = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);
const RECORDED_AT = new Date("2025-02-01T00:00:00Z");

function buildChain(count: number): AuditRecord[] {
  const drafts = Array.from({ length: count }, (_, i) =>
    recordFromEvent(sampleEnvelope(i), `subject.${i}`, { receivedAt: RECORDED_AT }),
  );
  return chainRecords(drafts, EMPTY_CHAIN, RECORDED_AT);
}

function checkpointsEvery(records: readonly AuditRecord[], every: number, by = signer): Checkpoint[] {
  return records.filter((r) => r.seq % every === 0).map((r) => by.sign(headOf(r), RECORDED_AT));
}

function at(records: readonly AuditRecord[], seq: number): AuditRecord {
  const found = records.find((r) => r.seq === seq);
  if (found === undefined) throw new Error(`no seq ${seq}`);
  return found;
}

/** What someone with database access and the algorithm (but not the signing key) can do. */
function rewriteFrom(
  records: AuditRecord[],
  seq: number,
  change: (r: AuditRecord) => AuditRecord,
): AuditRecord[] {
  const out = records.slice(0, seq - 1);
  let prev = headOf(out.at(-1));
  for (const original of records.slice(seq - 1)) {
    const {
      hash: _h,
      seq: s,
      prevHash: _p,
      recordedAt,
      retainUntil: _r,
      hashVersion: _v,
      ...draft
    } = original.seq === seq ? change(original) : original;
    const rewritten = sealRecord(draft, { seq: s, prevHash: prev.hash, recordedAt: new Date(recordedAt) });
    out.push(rewritten);
    prev = headOf(rewritten);
  }
  return out;
}

describe("verifyChain", () => {
  let chain: AuditRecord[];
  let checkpoints: Checkpoint[];

  beforeEach(() => {
    chain = buildChain(50);
    checkpoints = checkpointsEvery(chain, 10);
  });

  it("CONTROL: an untouched chain verifies", () => {
    expect(verifyChain(chain, checkpoints, signer.publicKey)).toEqual({
      ok: true,
      lastCheckpointedSeq: 50,
      count: 50,
      checkpointsChecked: 5,
      lastSeq: 50,
      lastHash: at(chain, 50).hash,
    });
  });

  it("modified: a changed field, hash left alone", () => {
    const r = at(chain, 17);
    r.what.target = "service/somewhere-else";
    expect(verifyChain(chain, checkpoints, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 17,
      problem: "modified",
      lastGoodSeq: 16,
    });
  });

  it("modified: a changed record whose own hash was recomputed breaks the next link", () => {
    const tampered = rewriteFrom(chain, 17, (r) => ({ ...r, outcome: "deny" }));
    const spliced = [...tampered.slice(0, 17), ...chain.slice(17)];
    expect(verifyChain(spliced, checkpoints, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 17,
      problem: "modified",
    });
  });

  it("missing: a deleted record", () => {
    const without = chain.filter((r) => r.seq !== 25);
    expect(verifyChain(without, checkpoints, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 25,
      problem: "missing",
    });
  });

  it("missing: the first record", () => {
    expect(verifyChain(chain.slice(1), checkpoints, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 1,
      problem: "missing",
    });
  });

  it("reordered: records out of seq order (e.g. an exported file)", () => {
    const swapped = [...chain];
    [swapped[30], swapped[31]] = [at(chain, 32), at(chain, 31)];
    expect(verifyChain(swapped, checkpoints, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 31,
      problem: "reordered",
    });
  });

  it("reordered: two records' seqs swapped in the database", () => {
    const a = at(chain, 40);
    const b = at(chain, 41);
    [a.seq, b.seq] = [b.seq, a.seq];
    const bySeq = [...chain].sort((x, y) => x.seq - y.seq);
    expect(verifyChain(bySeq, checkpoints, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 40,
      problem: "reordered",
    });
  });

  it("truncated: the tail deleted past a signed checkpoint", () => {
    expect(verifyChain(chain.slice(0, 45), checkpoints, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 46,
      problem: "truncated",
    });
  });

  it("truncated: everything deleted", () => {
    expect(verifyChain([], checkpoints, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 1,
      problem: "truncated",
    });
  });

  it("rewritten: hashes recomputed from a changed record on; the next signed checkpoint disagrees", () => {
    const rewritten = rewriteFrom(chain, 22, (r) => ({ ...r, outcome: "deny" }));
    const result = verifyChain(rewritten, checkpoints, signer.publicKey);
    expect(result).toMatchObject({
      ok: false,
      firstBadSeq: 30,
      problem: "rewritten",
      suspectFromSeq: 21,
      lastGoodSeq: 29,
    });
    // Without checkpoints a consistent rewrite cannot be told apart: that is what they are for.
    expect(verifyChain(rewritten, [], signer.publicKey).ok).toBe(true);
  });

  it("bad_signature: a checkpoint altered in the database", () => {
    const forged = checkpoints.map((c) =>
      c.seq === 20 ? { ...c, hash: at(chain, 20).hash.replace(/^./, "f") } : c,
    );
    expect(verifyChain(chain, forged, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 20,
      problem: "bad_signature",
    });
  });

  it("bad_signature: checkpoints signed with another key", () => {
    const foreign = checkpointsEvery(chain, 10, other);
    expect(verifyChain(chain, foreign, signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 10,
      problem: "bad_signature",
    });
    expect(verifyChain(chain, foreign, new Map([[other.keyId, other.publicKey]])).ok).toBe(true);
  });

  it("reports the earliest problem when there are several", () => {
    at(chain, 33).outcome = "x";
    const without = chain.filter((r) => r.seq !== 12);
    expect(verifyChain(without, checkpoints, signer.publicKey)).toMatchObject({
      firstBadSeq: 12,
      problem: "missing",
    });
  });

  it("verifies a segment given its start and the hash it links to", () => {
    const segment = chain.slice(20, 35);
    const options = { expectedStart: 21, expectedPrevHash: at(chain, 20).hash };
    expect(
      verifyChain(
        segment,
        checkpoints.filter((c) => c.seq <= 35),
        signer.publicKey,
        options,
      ),
    ).toMatchObject({
      ok: true,
      count: 15,
      lastSeq: 35,
    });
    expect(
      verifyChain(segment, [], signer.publicKey, { ...options, expectedPrevHash: "0".repeat(64) }),
    ).toMatchObject({
      ok: false,
      firstBadSeq: 21,
      problem: "modified",
    });
    // Without a start, verification starts at the genesis: a segment is a missing prefix.
    expect(verifyChain(segment, [], signer.publicKey)).toMatchObject({
      ok: false,
      firstBadSeq: 1,
      problem: "missing",
    });
  });
});
