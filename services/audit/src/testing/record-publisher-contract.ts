// The RecordPublisher and RecordFeed contracts (STYLE.md item 17): suites that the in-memory fakes
// (unit tests) and the NATS adapters (test/record-stream-contract.test.ts, on a real NATS server)
// both pass. Each `make` returns a fresh, empty stream; the publisher's adds a way to read back what
// the stream holds, the feed's a way to publish a committed record as the writer does.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { LiveRecords, RecordFeed, RecordPublisher } from "../app/ports.ts";
import type { AuditRecord } from "../domain/audit-record.ts";
import type { Checkpoint } from "../domain/checkpoint.ts";
import { CheckpointSigner } from "../domain/checkpoint.ts";
import { headOf } from "../domain/hash-chain.ts";
import { sampleChain } from "./audit-store-contract.ts";

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);
const AT = new Date(Date.UTC(2025, 0, 3));

export interface RecordPublisherUnderTest {
  readonly publisher: RecordPublisher;
  /** What the stream holds, in stream order. */
  readonly stored: () => Promise<{ records: AuditRecord[]; checkpoints: Checkpoint[] }>;
}

export function describeRecordPublisherContract(
  name: string,
  make: () => Promise<RecordPublisherUnderTest>,
): void {
  describe(`RecordPublisher contract: ${name}`, () => {
    it("an empty stream has published nothing", async () => {
      const { publisher, stored } = await make();
      expect(await publisher.lastPublishedSeq()).toBe(0);
      expect(await publisher.lastPublishedCheckpointSeq()).toBe(0);
      expect(await stored()).toEqual({ records: [], checkpoints: [] });
    });

    it("publishes records in order, exactly as committed, and a re-published seq once", async () => {
      const { publisher, stored } = await make();
      const records = sampleChain(0, 8);
      await publisher.publishRecords(records.slice(0, 5));
      expect(await publisher.lastPublishedSeq()).toBe(5);
      await publisher.publishRecords(records.slice(3)); // 4 and 5 again (a writer's restart)
      expect(await publisher.lastPublishedSeq()).toBe(8);
      expect(await publisher.lastPublishedCheckpointSeq()).toBe(0);
      expect((await stored()).records).toEqual(records);
    });

    it("publishes checkpoints, a re-published seq once, apart from the records", async () => {
      const { publisher, stored } = await make();
      const records = sampleChain(0, 20);
      const c10 = signer.sign(headOf(records[9]), AT);
      const c20 = signer.sign(headOf(records[19]), AT);
      await publisher.publishCheckpoint(c10);
      await publisher.publishCheckpoint(c10);
      expect(await publisher.lastPublishedCheckpointSeq()).toBe(10);
      await publisher.publishCheckpoint(c20);
      expect(await publisher.lastPublishedCheckpointSeq()).toBe(20);
      expect(await publisher.lastPublishedSeq()).toBe(0);
      expect(await stored()).toEqual({ records: [], checkpoints: [c10, c20] });
    });
  });
}

export interface RecordFeedUnderTest {
  readonly feed: RecordFeed;
  /** Publishes committed records as the writer does (in order). */
  readonly publish: (records: readonly AuditRecord[]) => Promise<void>;
}

/** The next `n` records of a live feed. */
async function take(live: LiveRecords, n: number): Promise<AuditRecord[]> {
  const iterator = live[Symbol.asyncIterator]();
  const out: AuditRecord[] = [];
  while (out.length < n) {
    const next = await iterator.next();
    if (next.done === true) break;
    out.push(next.value);
  }
  return out;
}

export function describeRecordFeedContract(name: string, make: () => Promise<RecordFeedUnderTest>): void {
  describe(`RecordFeed contract: ${name}`, () => {
    it("a feed sees the records published after it opened, in order; each open sees them all", async () => {
      const { feed, publish } = await make();
      const records = sampleChain(0, 6);
      await publish(records.slice(0, 2)); // before any open: not seen
      const first = feed.open();
      const second = feed.open();
      await publish(records.slice(2));
      // The first record seen is seq 3: nothing published before the open came through.
      expect(await take(first, 4)).toEqual(records.slice(2));
      expect(await take(second, 4)).toEqual(records.slice(2));
      first.close();
      second.close();
    });

    it("close ends the iteration, also while it waits for a record", async () => {
      const { feed } = await make();
      const live = feed.open();
      const ended = (async () => {
        const seen: AuditRecord[] = [];
        for await (const r of live) seen.push(r);
        return seen;
      })();
      live.close();
      expect(await ended).toEqual([]);
      // Closing twice is harmless.
      live.close();
    });
  });
}
