// Recomputes a chain segment and checks it against signed checkpoints, naming the first bad seq.
import type { AuditRecord } from "./audit-record.ts";
import { verifyCheckpointSignature, type Checkpoint, type CheckpointPublicKeys } from "./checkpoint.ts";
import { GENESIS_HASH, recordHashMatches } from "./hash-chain.ts";

/**
 * - modified: a record's content no longer hashes to its hash (or its hash was recomputed so the
 *   next record's link breaks; the earlier record is named)
 * - missing: a seq is absent
 * - reordered: seqs out of order, or a record links to a record other than its predecessor
 * - truncated: the chain ends before the latest signed checkpoint's seq
 * - rewritten: hashes are consistent, but disagree with a signed checkpoint at its seq
 * - bad_signature: a checkpoint's signature does not verify (or its key is unknown)
 */
export type ChainProblem = "modified" | "missing" | "reordered" | "truncated" | "rewritten" | "bad_signature";

export type VerifyChainOptions = {
  /** Seq the segment must start at. Default 1: verifying from the genesis unless told otherwise. */
  expectedStart?: number | undefined;
  /**
   * prevHash the first record must carry. Default: GENESIS_HASH when expectedStart is 1, else
   * unchecked (pass the hash of record expectedStart - 1 to check the seam).
   */
  expectedPrevHash?: string | undefined;
  /**
   * Highest seq before the segment known to match a signed checkpoint (when verifying page by
   * page); bounds suspectFromSeq of a rewrite. Default expectedStart - 1.
   */
  lastCheckpointedSeq?: number | undefined;
};

export type VerifyChainOk = {
  ok: true;
  /** Highest seq that matched a signed checkpoint (lastCheckpointedSeq when none did). */
  lastCheckpointedSeq: number;
  /** Records checked. */
  count: number;
  checkpointsChecked: number;
  /** Last seq checked, expectedStart - 1 for an empty segment. */
  lastSeq: number;
  /** Hash of the last record checked (expectedPrevHash, or null, for an empty segment). */
  lastHash: string | null;
};

export type VerifyChainFailure = {
  ok: false;
  firstBadSeq: number;
  problem: ChainProblem;
  detail: string;
  /** Records that verified before the problem. */
  count: number;
  checkpointsChecked: number;
  /** Last seq known good, expectedStart - 1 when none. */
  lastGoodSeq: number;
  /**
   * For "rewritten": the first seq that may have been rewritten (just after the last checkpoint
   * that still matched); firstBadSeq is the checkpoint's seq, where the rewrite is proven.
   */
  suspectFromSeq?: number;
};

export type VerifyChainResult = VerifyChainOk | VerifyChainFailure;

type Found = { seq: number; problem: ChainProblem; detail: string; suspectFromSeq?: number };

const short = (h: unknown): string => (typeof h === "string" ? `${h.slice(0, 12)}…` : String(h));

/**
 * Verifies `records` (a contiguous range, expected in ascending seq order) and the `checkpoints`
 * covering it. Checkpoints below expectedStart are ignored. Verifying up to the chain's head, pass
 * every checkpoint from expectedStart on, so a truncated tail is noticed; verifying a range that
 * ends earlier, pass only those up to its end. Stops at the first problem.
 */
export function verifyChain(
  records: readonly AuditRecord[],
  checkpoints: readonly Checkpoint[],
  publicKeys: CheckpointPublicKeys,
  options: VerifyChainOptions = {},
): VerifyChainResult {
  const expectedStart = options.expectedStart ?? 1;
  const expectedPrevHash = options.expectedPrevHash ?? (expectedStart === 1 ? GENESIS_HASH : undefined);

  // Checkpoint signatures first: only signed checkpoints are evidence.
  let badSignature: Found | undefined;
  const signed: Checkpoint[] = [];
  for (const cp of checkpoints) {
    if (typeof cp.seq !== "number" || cp.seq < expectedStart) continue;
    if (verifyCheckpointSignature(cp, publicKeys)) signed.push(cp);
    else if (badSignature === undefined || cp.seq < badSignature.seq) {
      badSignature = {
        seq: cp.seq,
        problem: "bad_signature",
        detail: `checkpoint at seq ${cp.seq} (key ${cp.keyId}): signature does not verify`,
      };
    }
  }
  signed.sort((a, b) => a.seq - b.seq);

  // Built only on the error path, to classify a broken link or a gap.
  let seqsPresent: Set<number> | undefined;
  let seqByHash: Map<string, number> | undefined;
  const present = (seq: number): boolean => (seqsPresent ??= new Set(records.map((r) => r.seq))).has(seq);
  const seqWithHash = (h: string): number | undefined =>
    (seqByHash ??= new Map(records.map((r) => [r.hash, r.seq]))).get(h);

  let found: Found | undefined;
  let prev: AuditRecord | undefined;
  let expectedSeq = expectedStart;
  let cpIndex = 0;
  let lastMatchedCheckpointSeq = options.lastCheckpointedSeq ?? expectedStart - 1;
  let count = 0;

  for (const record of records) {
    const seq = record.seq;
    if (seq !== expectedSeq) {
      if (typeof seq === "number" && seq < expectedSeq) {
        found = { seq, problem: "reordered", detail: `seq ${seq} appears after seq ${expectedSeq - 1}` };
      } else if (present(expectedSeq)) {
        found = {
          seq: expectedSeq,
          problem: "reordered",
          detail: `seq ${expectedSeq} is out of place: seq ${String(seq)} comes where it should`,
        };
      } else {
        const next = typeof seq === "number" ? seq : Number.NaN;
        const gap = next - expectedSeq > 1 ? `seqs ${expectedSeq}–${next - 1} are` : `seq ${expectedSeq} is`;
        found = {
          seq: expectedSeq,
          problem: "missing",
          detail: `${gap} missing (next record is seq ${String(seq)})`,
        };
      }
      break;
    }

    const linkTo = prev === undefined ? expectedPrevHash : prev.hash;
    if (linkTo !== undefined && record.prevHash !== linkTo) {
      const linked = seqWithHash(record.prevHash);
      if (linked !== undefined && linked !== prev?.seq) {
        found = {
          seq,
          problem: "reordered",
          detail: `seq ${seq} links to seq ${linked}, not to seq ${seq - 1}`,
        };
      } else if (prev !== undefined && recordHashMatches(record)) {
        found = {
          seq: prev.seq,
          problem: "modified",
          detail: `seq ${prev.seq} hashes to ${short(prev.hash)} but seq ${seq} was chained to ${short(record.prevHash)} (record changed and its hash recomputed)`,
        };
      } else {
        found = {
          seq,
          problem: "modified",
          detail: `seq ${seq}: prevHash ${short(record.prevHash)} does not match ${short(linkTo)}`,
        };
      }
      break;
    }

    if (!recordHashMatches(record)) {
      found = {
        seq,
        problem: "modified",
        detail:
          record.hashVersion === 1
            ? `seq ${seq}: content does not match its hash ${short(record.hash)}`
            : `seq ${seq}: unsupported hashVersion ${String(record.hashVersion)}`,
      };
      break;
    }

    while (cpIndex < signed.length && (signed[cpIndex]?.seq ?? Infinity) <= seq) {
      const cp = signed[cpIndex++];
      if (cp === undefined || cp.seq !== seq) continue; // a checkpoint at a seq we skipped cannot happen (gaps stop above)
      if (cp.hash !== record.hash) {
        found = {
          seq,
          problem: "rewritten",
          detail: `seq ${seq}: signed checkpoint (${cp.time}) says ${short(cp.hash)}, the chain has ${short(record.hash)}; records ${lastMatchedCheckpointSeq + 1}–${seq} may have been rewritten`,
          suspectFromSeq: lastMatchedCheckpointSeq + 1,
        };
        break;
      }
      lastMatchedCheckpointSeq = seq;
    }
    if (found !== undefined) break;

    prev = record;
    expectedSeq = seq + 1;
    count++;
  }

  if (found === undefined) {
    const latest = signed.at(-1);
    const lastSeq = prev?.seq ?? expectedStart - 1;
    if (latest !== undefined && latest.seq > lastSeq) {
      found = {
        seq: lastSeq + 1,
        problem: "truncated",
        detail: `the chain ends at seq ${lastSeq} but a checkpoint signed at ${latest.time} covers seq ${latest.seq}`,
      };
    }
  }

  // The earliest problem wins; a record problem wins a tie with a bad signature.
  const first =
    badSignature !== undefined && (found === undefined || badSignature.seq < found.seq)
      ? badSignature
      : found;
  if (first === undefined) {
    return {
      ok: true,
      lastCheckpointedSeq: lastMatchedCheckpointSeq,
      count,
      checkpointsChecked: signed.length,
      lastSeq: prev?.seq ?? expectedStart - 1,
      lastHash: prev?.hash ?? expectedPrevHash ?? null,
    };
  }
  return {
    ok: false,
    firstBadSeq: first.seq,
    problem: first.problem,
    detail: first.detail,
    count,
    checkpointsChecked: cpIndex,
    lastGoodSeq: Math.min(first.seq - 1, prev?.seq ?? expectedStart - 1),
    ...(first.suspectFromSeq !== undefined && { suspectFromSeq: first.suspectFromSeq }),
  };
}
