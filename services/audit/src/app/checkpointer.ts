// Use case: sign a checkpoint of the chain head every N records or T milliseconds (whichever
// comes first, and only when the head moved), store it, and hand it back for publishing on
// wardenaudit.checkpoint.
import type { Logger } from "pino";
import type { Checkpoint, CheckpointSigner } from "../domain/checkpoint.ts";
import type { ChainHead } from "../domain/hash-chain.ts";
import type { AuditStore } from "./ports.ts";

export type CheckpointerDeps = {
  store: Pick<AuditStore, "saveCheckpoint" | "latestCheckpoint">;
  signer: CheckpointSigner;
  /** CHECKPOINT_EVERY: records between checkpoints. */
  every: number;
  /** CHECKPOINT_INTERVAL: longest time between checkpoints while records arrive, in ms. */
  intervalMs: number;
  clock?: (() => Date) | undefined;
  logger?: Logger | undefined;
};

export type Checkpointer = {
  /** The signer's public key id (publish it with the key so outside verifiers can match it). */
  readonly keyId: string;
  /** Whether a checkpoint of `head` is due. */
  isDue(head: ChainHead): Promise<boolean>;
  /** Signs and stores a checkpoint of `head` when one is due; call after each write and on a timer. */
  maybeCheckpoint(head: ChainHead): Promise<Checkpoint | null>;
  /** Signs and stores a checkpoint of `head` now. */
  checkpoint(head: ChainHead): Promise<Checkpoint>;
};

export function createCheckpointer(deps: CheckpointerDeps): Checkpointer {
  if (!Number.isInteger(deps.every) || deps.every < 1)
    throw new RangeError("every must be a positive integer");
  if (!(deps.intervalMs > 0)) throw new RangeError("intervalMs must be positive");
  const clock = deps.clock ?? (() => new Date());
  let last: { seq: number; at: number } | undefined;

  const lastCheckpoint = async (): Promise<{ seq: number; at: number }> => {
    if (last === undefined) {
      const stored = await deps.store.latestCheckpoint();
      last = stored === null ? { seq: 0, at: 0 } : { seq: stored.seq, at: Date.parse(stored.time) };
    }
    return last;
  };

  const isDue = async (head: ChainHead): Promise<boolean> => {
    const previous = await lastCheckpoint();
    if (head.seq <= previous.seq) return false;
    return head.seq - previous.seq >= deps.every || clock().getTime() - previous.at >= deps.intervalMs;
  };

  const checkpoint = async (head: ChainHead): Promise<Checkpoint> => {
    const now = clock();
    const signed = deps.signer.sign(head, now);
    await deps.store.saveCheckpoint(signed);
    last = { seq: head.seq, at: now.getTime() };
    deps.logger?.debug({ seq: head.seq }, "checkpoint signed");
    return signed;
  };

  return {
    keyId: deps.signer.keyId,
    isDue,
    maybeCheckpoint: async (head) => ((await isDue(head)) ? checkpoint(head) : null),
    checkpoint,
  };
}
