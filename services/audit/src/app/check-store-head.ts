// Use case: before a writer extends the chain, make sure the store still holds everything that was
// already signed or handed downstream. A store whose head is behind the newest signed checkpoint on
// the WARDEN_AUDIT stream, or behind the last record on that stream, lost its tail (a truncation, a
// restore from an old backup): extending it would give new records seqs that a signed checkpoint
// already covers, and the stream — ahead of the store — would drop them as duplicates. The writer
// refuses instead, and someone restores the store (README "Recovery: store behind the stream").
import type { ChainHead } from "../domain/hash-chain.ts";
import type { RecordPublisher } from "./ports.ts";

/** What the store's head is behind: the newest signed checkpoint, or the last published record. */
export type StoreBehindSource = "checkpoint" | "stream";

export type StoreBehind = {
  source: StoreBehindSource;
  /** The store's head seq. */
  storeHeadSeq: number;
  /** The seq the store should hold at least (the checkpoint's, or the stream's last record's). */
  expectedSeq: number;
};

export const STORE_BEHIND_SOURCES: readonly StoreBehindSource[] = ["checkpoint", "stream"];

/** Every way the store's head is behind the audit stream; empty when it is not. */
export async function checkStoreHead(deps: {
  /** The head the writer would extend (AuditWriter.head). */
  head: () => Promise<ChainHead>;
  published: Pick<RecordPublisher, "lastPublishedSeq" | "lastPublishedCheckpointSeq">;
}): Promise<StoreBehind[]> {
  // The stream first, then the store: everything on the stream was committed to the store before
  // it was published, so a head read after the stream is never behind it merely because another
  // replica wrote in between.
  const checkpointSeq = await deps.published.lastPublishedCheckpointSeq();
  const streamSeq = await deps.published.lastPublishedSeq();
  const head = await deps.head();
  const behind: StoreBehind[] = [];
  if (head.seq < checkpointSeq)
    behind.push({ source: "checkpoint", storeHeadSeq: head.seq, expectedSeq: checkpointSeq });
  if (head.seq < streamSeq) behind.push({ source: "stream", storeHeadSeq: head.seq, expectedSeq: streamSeq });
  return behind;
}
