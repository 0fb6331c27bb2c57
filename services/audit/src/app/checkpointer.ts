// Use case: sign a checkpoint of the chain head every N records or T milliseconds (whichever
// comes first, and only when the head moved), store it, and hand it back for publishing on
// wardenaudit.checkpoint.
import type { Logger } from "pino";
import type { Checkpoint, CheckpointSigner } from "../domain/checkpoint.ts";
import type { ChainHead } from "../domain/hash-chain.ts";
import type { AuditStore } from "./audit-store.ts";

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

export class Checkpointer {
  readonly #deps: CheckpointerDeps;
  readonly #clock: () => Date;
  #last: { seq: number; at: number } | undefined;

  constructor(deps: CheckpointerDeps) {
    if (!Number.isInteger(deps.every) || deps.every < 1)
      throw new RangeError("every must be a positive integer");
    if (!(deps.intervalMs > 0)) throw new RangeError("intervalMs must be positive");
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  /** The signer's public key id (publish it with the key so outside verifiers can match it). */
  get keyId(): string {
    return this.#deps.signer.keyId;
  }

  async #lastCheckpoint(): Promise<{ seq: number; at: number }> {
    if (this.#last === undefined) {
      const stored = await this.#deps.store.latestCheckpoint();
      this.#last = stored === null ? { seq: 0, at: 0 } : { seq: stored.seq, at: Date.parse(stored.time) };
    }
    return this.#last;
  }

  /** Whether a checkpoint of `head` is due. */
  async isDue(head: ChainHead): Promise<boolean> {
    const last = await this.#lastCheckpoint();
    if (head.seq <= last.seq) return false;
    return (
      head.seq - last.seq >= this.#deps.every || this.#clock().getTime() - last.at >= this.#deps.intervalMs
    );
  }

  /** Signs and stores a checkpoint of `head` when one is due; call after each write and on a timer. */
  async maybeCheckpoint(head: ChainHead): Promise<Checkpoint | null> {
    return (await this.isDue(head)) ? this.checkpoint(head) : null;
  }

  /** Signs and stores a checkpoint of `head` now. */
  async checkpoint(head: ChainHead): Promise<Checkpoint> {
    const now = this.#clock();
    const checkpoint = this.#deps.signer.sign(head, now);
    await this.#deps.store.saveCheckpoint(checkpoint);
    this.#last = { seq: head.seq, at: now.getTime() };
    this.#deps.logger?.debug({ seq: head.seq }, "checkpoint signed");
    return checkpoint;
  }
}
