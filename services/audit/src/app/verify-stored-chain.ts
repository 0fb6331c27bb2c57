// Use case: verify a range of the stored chain (gRPC Verify, `warden audit verify`). Reads the
// range with one cursor and verifies it in chunks, so memory stays bounded, checking every signed
// checkpoint in the range. verifyStoredChainInRanges cuts the chain into seq ranges verified at
// once (e.g. each in a worker thread) and joins their results.
import type { AuditRecord } from "../domain/audit-record.ts";
import type { Checkpoint, CheckpointPublicKeys } from "../domain/checkpoint.ts";
import { verifyChain, type VerifyChainResult } from "../domain/verify-chain.ts";
import { joinRangeResults, planSeqRanges } from "../domain/verify-ranges.ts";
import type { AuditStore } from "./audit-store.ts";

export type VerifyStoredChainRequest = {
  /** First seq; default 1. */
  fromSeq?: number | undefined;
  /** Last seq; default the head (then every later checkpoint counts, to catch truncation). */
  toSeq?: number | undefined;
  /** Records verified per chunk; default 10,000. */
  chunkSize?: number | undefined;
  /**
   * Checkpoints to check against, e.g. read from the WARDEN_AUDIT stream (outside the database).
   * Default: those stored in the database.
   */
  checkpoints?: readonly Checkpoint[] | undefined;
  /**
   * Hash of record fromSeq - 1, when the caller has read it already (the seam of a range verified
   * on its own); default: read from the store.
   */
  expectedPrevHash?: string | undefined;
  /** Highest checkpoint seq before fromSeq (bounds suspectFromSeq of a rewrite); default fromSeq - 1. */
  lastCheckpointedSeq?: number | undefined;
};

export async function verifyStoredChain(
  deps: {
    store: Pick<AuditStore, "range" | "streamHashed" | "checkpoints">;
    publicKeys: CheckpointPublicKeys;
  },
  request: VerifyStoredChainRequest = {},
): Promise<VerifyChainResult> {
  const fromSeq = Math.max(1, request.fromSeq ?? 1);
  const toSeq = request.toSeq ?? Number.MAX_SAFE_INTEGER;
  const chunkSize = Math.max(1, request.chunkSize ?? 10_000);
  const allCheckpoints = (request.checkpoints ?? (await deps.store.checkpoints({ fromSeq, toSeq })))
    .filter((c) => c.seq >= fromSeq && c.seq <= toSeq)
    .sort((a, b) => a.seq - b.seq);

  // The seam before the range: the record at fromSeq - 1 must exist to check the first link.
  let expectedPrevHash = request.expectedPrevHash;
  if (fromSeq > 1 && expectedPrevHash === undefined) {
    const [before] = await deps.store.range(fromSeq - 1, fromSeq - 1, 1);
    expectedPrevHash = before?.hash;
  }

  let expectedStart = fromSeq;
  let lastCheckpointedSeq = request.lastCheckpointedSeq ?? fromSeq - 1;
  let count = 0;
  let checkpointsChecked = 0;

  // A chunk ends at an existing record, so a gap across chunks shows as the next chunk's start.
  const verifyChunk = (
    chunk: readonly AuditRecord[],
    hashedTexts: readonly (string | undefined)[],
    final: boolean,
  ): VerifyChainResult => {
    const last = chunk.at(-1);
    const checkpoints = allCheckpoints.filter(
      (c) => c.seq >= expectedStart && (final || (last !== undefined && c.seq <= last.seq)),
    );
    const result = verifyChain(chunk, checkpoints, deps.publicKeys, {
      expectedStart,
      expectedPrevHash,
      lastCheckpointedSeq,
      hashedTexts,
    });
    count += result.count;
    checkpointsChecked += result.checkpointsChecked;
    if (result.ok) {
      expectedStart = result.lastSeq + 1;
      expectedPrevHash = result.lastHash ?? undefined;
      lastCheckpointedSeq = result.lastCheckpointedSeq;
    }
    return { ...result, count, checkpointsChecked };
  };

  let chunk: AuditRecord[] = [];
  let texts: (string | undefined)[] = [];
  for await (const { record, hashedText } of deps.store.streamHashed(fromSeq, toSeq)) {
    chunk.push(record);
    texts.push(hashedText);
    if (chunk.length >= chunkSize) {
      const result = verifyChunk(chunk, texts, false);
      if (!result.ok) return result;
      chunk = [];
      texts = [];
    }
  }
  return verifyChunk(chunk, texts, true);
}

/** Verifies one seq range of the stored chain, e.g. verifyStoredChain in a worker thread. */
export type RangeVerifier = (request: VerifyStoredChainRequest) => Promise<VerifyChainResult>;

/**
 * verifyStoredChain cut into `parts` seq ranges verified at once by `verifyRange`, each starting
 * from the stored hash of the record before it; the results are joined (joinRangeResults) so the
 * answer names the same first bad seq as one pass would. The ranges split the chain as it is when
 * called; the last one runs to toSeq (default the head).
 */
export async function verifyStoredChainInRanges(
  deps: { store: Pick<AuditStore, "range" | "checkpoints" | "lastRecord">; verifyRange: RangeVerifier },
  request: VerifyStoredChainRequest & { parts: number },
): Promise<VerifyChainResult> {
  const { parts, ...single } = request;
  const fromSeq = Math.max(1, request.fromSeq ?? 1);
  const head = (await deps.store.lastRecord())?.seq ?? 0;
  const lastSeq = Math.min(head, request.toSeq ?? head);
  if (parts <= 1 || lastSeq - fromSeq < 1) return deps.verifyRange(single);

  const checkpoints = (
    request.checkpoints ?? (await deps.store.checkpoints({ fromSeq, toSeq: request.toSeq }))
  ).filter((c) => c.seq >= fromSeq && (request.toSeq === undefined || c.seq <= request.toSeq));
  const plans = planSeqRanges(
    fromSeq,
    lastSeq,
    request.toSeq,
    parts,
    checkpoints.map((c) => c.seq),
  );
  // The seams: the stored hash of the record before each range (the first range reads its own).
  const seams = await Promise.all(
    plans.map(async (plan, k) =>
      k === 0 ? undefined : (await deps.store.range(plan.fromSeq - 1, plan.fromSeq - 1, 1))[0]?.hash,
    ),
  );
  const results = await Promise.all(
    plans.map((plan, k) =>
      deps.verifyRange({
        ...single,
        fromSeq: plan.fromSeq,
        toSeq: plan.toSeq,
        checkpoints,
        lastCheckpointedSeq: k === 0 ? request.lastCheckpointedSeq : plan.lastCheckpointedSeq,
        // Where the seam record is absent, the range before ends early: the join reports it missing.
        expectedPrevHash: k === 0 ? request.expectedPrevHash : seams[k],
      }),
    ),
  );
  return joinRangeResults(plans, seams, results);
}
