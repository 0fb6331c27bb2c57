// Use case: verify a range of the stored chain (gRPC Verify, `warden audit verify`). Reads the
// range with one cursor and verifies it in chunks, so memory stays bounded, checking every signed
// checkpoint in the range.
import type { AuditRecord } from "../domain/audit-record.ts";
import type { Checkpoint, CheckpointPublicKeys } from "../domain/checkpoint.ts";
import { verifyChain, type VerifyChainResult } from "../domain/verify-chain.ts";
import type { AuditStore, CheckpointSourceKind } from "./ports.ts";

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
  /** Where `checkpoints` came from; default "stream" when they are given. */
  checkpointSource?: CheckpointSourceKind | undefined;
};

export type VerifyStoredChainResult = VerifyChainResult & {
  /** Where the checkpoints checked against came from. */
  checkpointSource: CheckpointSourceKind;
  /**
   * True when toSeq was given beyond the chain's head: the range verified ends at the head
   * (lastSeq), not at toSeq.
   */
  rangeCutAtHead: boolean;
};

export async function verifyStoredChain(
  deps: { store: Pick<AuditStore, "range" | "stream" | "checkpoints">; publicKeys: CheckpointPublicKeys },
  request: VerifyStoredChainRequest = {},
): Promise<VerifyStoredChainResult> {
  const checkpointSource: CheckpointSourceKind =
    request.checkpoints === undefined ? "database" : (request.checkpointSource ?? "stream");
  const result = await verifyRange(deps, request);
  // The cursor read every stored record up to toSeq: one that ends earlier, intact, ended at the head.
  const rangeCutAtHead = result.ok && request.toSeq !== undefined && result.lastSeq < request.toSeq;
  return { ...result, checkpointSource, rangeCutAtHead };
}

async function verifyRange(
  deps: { store: Pick<AuditStore, "range" | "stream" | "checkpoints">; publicKeys: CheckpointPublicKeys },
  request: VerifyStoredChainRequest,
): Promise<VerifyChainResult> {
  const fromSeq = Math.max(1, request.fromSeq ?? 1);
  const toSeq = request.toSeq ?? Number.MAX_SAFE_INTEGER;
  const chunkSize = Math.max(1, request.chunkSize ?? 10_000);
  const allCheckpoints = (request.checkpoints ?? (await deps.store.checkpoints({ fromSeq, toSeq })))
    .filter((c) => c.seq >= fromSeq && c.seq <= toSeq)
    .sort((a, b) => a.seq - b.seq);

  // The seam before the range: the record at fromSeq - 1 must exist to check the first link.
  let expectedPrevHash: string | undefined;
  if (fromSeq > 1) {
    const [before] = await deps.store.range(fromSeq - 1, fromSeq - 1, 1);
    expectedPrevHash = before?.hash;
  }

  let expectedStart = fromSeq;
  let lastCheckpointedSeq = fromSeq - 1;
  let count = 0;
  let checkpointsChecked = 0;

  // A chunk ends at an existing record, so a gap across chunks shows as the next chunk's start.
  const verifyChunk = (chunk: readonly AuditRecord[], final: boolean): VerifyChainResult => {
    const last = chunk.at(-1);
    const checkpoints = allCheckpoints.filter(
      (c) => c.seq >= expectedStart && (final || (last !== undefined && c.seq <= last.seq)),
    );
    const result = verifyChain(chunk, checkpoints, deps.publicKeys, {
      expectedStart,
      expectedPrevHash,
      lastCheckpointedSeq,
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
  for await (const record of deps.store.stream(fromSeq, toSeq)) {
    chunk.push(record);
    if (chunk.length >= chunkSize) {
      const result = verifyChunk(chunk, false);
      if (!result.ok) return result;
      chunk = [];
    }
  }
  return verifyChunk(chunk, true);
}
