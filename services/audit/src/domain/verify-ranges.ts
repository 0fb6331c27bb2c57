// Verifying one chain as several seq ranges at once (one per worker thread): where to cut it, and
// how to join the ranges' results into one. Each range starts from the stored hash of the record
// before it (its seam); the join checks that the range before really ended there, with that hash,
// so nothing between ranges goes unchecked.
import type { VerifyChainOk, VerifyChainResult } from "./verify-chain.ts";

export type SeqRangePlan = {
  fromSeq: number;
  /** Last seq of the range; undefined for the last range when verifying up to the head. */
  toSeq: number | undefined;
  /**
   * Highest checkpoint seq before the range: a rewrite found in the range is suspect from just
   * after it (were that checkpoint not matched, an earlier range would report that first).
   */
  lastCheckpointedSeq: number;
};

/**
 * Cuts [fromSeq, lastSeq] into at most `parts` consecutive ranges of near-equal size. The last
 * range ends at `toSeq` (undefined: the head, so checkpoints after lastSeq expose truncation and
 * records appended meanwhile are verified too).
 */
export function planSeqRanges(
  fromSeq: number,
  lastSeq: number,
  toSeq: number | undefined,
  parts: number,
  checkpointSeqs: readonly number[],
): SeqRangePlan[] {
  const total = Math.max(0, lastSeq - fromSeq + 1);
  const n = Math.max(1, Math.min(Math.floor(parts), total));
  const sorted = [...checkpointSeqs].filter((s) => s >= fromSeq).sort((a, b) => a - b);
  const lastCheckpointBefore = (seq: number): number => {
    let found = fromSeq - 1;
    for (const s of sorted) {
      if (s >= seq) break;
      found = s;
    }
    return found;
  };
  const plans: SeqRangePlan[] = [];
  for (let k = 0; k < n; k++) {
    const start = fromSeq + Math.floor((total * k) / n);
    const end = fromSeq + Math.floor((total * (k + 1)) / n) - 1;
    plans.push({
      fromSeq: start,
      toSeq: k === n - 1 ? toSeq : end,
      lastCheckpointedSeq: lastCheckpointBefore(start),
    });
  }
  return plans;
}

/** Whether a failed range's problem shows that it holds a record. */
function holdsRecords(result: VerifyChainResult): boolean {
  return !result.ok && result.problem !== "truncated" && result.problem !== "bad_signature";
}

/**
 * Joins the results of verifying consecutive ranges (each with expectedStart = its fromSeq and
 * expectedPrevHash = `seams[k]`, the stored hash of record fromSeq - 1 as read for it) into the
 * result for the whole: the first failing range's result, unless the range before it ended early
 * (missing records at its end) or ended on a hash other than the one the next range started from.
 * The failing seq is what a single pass names; near a cut, a reordering may be classified as
 * "modified" (as near a chunk boundary of verifyStoredChain), because its partner is in the other
 * range.
 */
export function joinRangeResults(
  plans: readonly SeqRangePlan[],
  seams: readonly (string | undefined)[],
  results: readonly VerifyChainResult[],
): VerifyChainResult {
  let count = 0;
  let checkpointsChecked = 0;
  let previous: VerifyChainOk | undefined;
  for (let k = 0; k < plans.length; k++) {
    const plan = plans[k];
    const result = results[k];
    if (plan === undefined || result === undefined) throw new Error(`no result for range ${k}`);
    if (previous !== undefined) {
      const end = plan.fromSeq - 1;
      if (
        previous.lastSeq < end &&
        !results.slice(k).some((later) => later.count > 0 || holdsRecords(later))
      ) {
        // The chain ends in the range before (it was cut on a head that is no longer there): the
        // later, empty ranges can only report a truncation or a bad checkpoint, from their seqs on.
        const failures = results.slice(k).filter((later) => !later.ok);
        const failure = failures.find((f) => f.problem === "truncated") ?? failures[0];
        if (failure === undefined) return { ...previous, count, checkpointsChecked };
        return {
          ...failure,
          ...(failure.problem === "truncated" && {
            firstBadSeq: previous.lastSeq + 1,
            detail: `the chain ends at seq ${previous.lastSeq} before a signed checkpoint (${failure.detail})`,
          }),
          count,
          checkpointsChecked,
          lastGoodSeq: Math.min(previous.lastSeq, failure.firstBadSeq - 1),
        };
      }
      if (previous.lastSeq < end) {
        const gap = end - previous.lastSeq > 1 ? `seqs ${previous.lastSeq + 1}–${end} are` : `seq ${end} is`;
        return {
          ok: false,
          firstBadSeq: previous.lastSeq + 1,
          problem: "missing",
          detail: `${gap} missing`,
          count,
          checkpointsChecked,
          lastGoodSeq: previous.lastSeq,
        };
      }
      if (seams[k] !== previous.lastHash) {
        return {
          ok: false,
          firstBadSeq: end,
          problem: "modified",
          detail: `seq ${end} was read with two different hashes (changed while being verified)`,
          count: count - 1,
          checkpointsChecked,
          lastGoodSeq: end - 1,
        };
      }
    }
    if (!result.ok) {
      // A range ending before a checkpoint in it is truncated only if no later range holds a record.
      const truncatedHere =
        result.problem !== "truncated" ||
        !results.slice(k + 1).some((later) => later.count > 0 || holdsRecords(later));
      return {
        ...result,
        ...(!truncatedHere && {
          problem: "missing",
          detail: `seq ${result.firstBadSeq} is missing (a later record exists)`,
        }),
        count: count + result.count,
        checkpointsChecked: checkpointsChecked + result.checkpointsChecked,
      };
    }
    count += result.count;
    checkpointsChecked += result.checkpointsChecked;
    previous = result;
  }
  if (previous === undefined) throw new Error("no ranges");
  return { ...previous, count, checkpointsChecked };
}
