// The AuditStore contract (STYLE.md item 17): one suite that the in-memory fake (a unit test) and the
// Mongo adapter (an integration test against a real Mongo-wire server) both pass, so the fake cannot
// drift from the store it stands for. `make` returns a fresh, empty store for each case.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditStore } from "../app/ports.ts";
import type { AuditRecord } from "../domain/audit-record.ts";
import { CheckpointSigner } from "../domain/checkpoint.ts";
import { chainRecords, EMPTY_CHAIN, headOf, type ChainHead } from "../domain/hash-chain.ts";
import { recordFromEvent } from "../domain/record-from-event.ts";
import { sampleEnvelope, sampleIncoming } from "./sample-events.ts";

const RECORDED_AT = new Date(Date.UTC(2025, 0, 2));
const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);

/** Records for sample events `from` … `from + count - 1`, chained after `head`. */
export function sampleChain(from: number, count: number, head: ChainHead = EMPTY_CHAIN): AuditRecord[] {
  const drafts = sampleIncoming(from, count).map(({ subject, envelope }) =>
    recordFromEvent(envelope, subject, { receivedAt: RECORDED_AT }),
  );
  return chainRecords(drafts, head, RECORDED_AT);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const seqs = (records: readonly { seq: number }[]): number[] => records.map((r) => r.seq);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function describeAuditStoreContract(name: string, make: () => Promise<AuditStore>): void {
  describe(`AuditStore contract: ${name}`, () => {
    it("an empty store has no head, no records and no checkpoints", async () => {
      const store = await make();
      expect(await store.lastRecord()).toBeNull();
      expect(await store.recentEvents(10)).toEqual([]);
      expect(await store.range(1, 100)).toEqual([]);
      expect(await collect(store.stream(1, 100))).toEqual([]);
      expect(await store.query({}, { size: 10 })).toEqual({ items: [], nextAfterSeq: null });
      expect(await collect(store.find({}))).toEqual([]);
      expect([...(await store.existingEventIds(["evt-0"]))]).toEqual([]);
      expect(await store.latestCheckpoint()).toBeNull();
      expect(await store.checkpoints({ fromSeq: 0 })).toEqual([]);
    });

    it("appends a chain and reads back exactly what was appended, in seq order", async () => {
      const store = await make();
      const records = sampleChain(0, 12);
      expect(await store.appendBatch(records.slice(0, 5))).toEqual({ written: 5, stoppedBy: null });
      expect(await store.appendBatch(records.slice(5))).toEqual({ written: 7, stoppedBy: null });
      expect(await store.appendBatch([])).toEqual({ written: 0, stoppedBy: null });

      expect(await store.lastRecord()).toEqual(records[11]);
      expect(await store.range(1, 12)).toEqual(records);
      expect(seqs(await store.range(3, 9, 4))).toEqual([3, 4, 5, 6]);
      expect(seqs(await store.range(11, 100))).toEqual([11, 12]);
      expect(await collect(store.stream(4, 6))).toEqual(records.slice(3, 6));
      expect(await store.recentEvents(3)).toEqual(
        records.slice(9).map((r) => ({ eventId: r.eventId, seq: r.seq, hash: r.hash })),
      );
      expect(await store.recentEvents(0)).toEqual([]);
      expect(seqs(await store.recentEvents(100))).toEqual(range(1, 12));
      expect([...(await store.existingEventIds(["evt-3", "evt-99", "evt-11"]))].sort()).toEqual([
        "evt-11",
        "evt-3",
      ]);
    });

    it("hands out copies: changing a record read from the store changes nothing stored", async () => {
      const store = await make();
      const records = sampleChain(0, 3);
      await store.appendBatch(records);
      const read = await store.range(1, 3);
      const first = read[0];
      if (first === undefined) throw new Error("nothing read");
      first.outcome = "tampered by a caller";
      const last = await store.lastRecord();
      if (last !== null) last.outcome = "tampered by a caller";
      expect(await store.range(1, 3)).toEqual(records);
    });

    it("refuses a segment that does not extend the stored chain (stale_head), writing nothing", async () => {
      const store = await make();
      const records = sampleChain(0, 6);
      // A gap: seq 3 before 1 and 2 exist.
      expect(await store.appendBatch(records.slice(2))).toEqual({
        written: 0,
        stoppedBy: { reason: "stale_head", index: 0, seq: 3 },
      });
      expect(await store.lastRecord()).toBeNull();
      // Linked to another chain: the right seq, a prevHash that is not the stored record's hash.
      await store.appendBatch(records.slice(0, 2));
      const forked = sampleChain(100, 2, { seq: 2, hash: "f".repeat(64) });
      expect(await store.appendBatch(forked)).toEqual({
        written: 0,
        stoppedBy: { reason: "stale_head", index: 0, seq: 3 },
      });
      expect(seqs(await store.range(1, 100))).toEqual([1, 2]);
      // Control: the real continuation goes in.
      expect(await store.appendBatch(records.slice(2))).toEqual({ written: 4, stoppedBy: null });
    });

    it("stops at a duplicate event id: the records before it commit, nothing from it on", async () => {
      const store = await make();
      const first = sampleChain(0, 5);
      await store.appendBatch(first);
      // Events 5, 6, then 2 again (a redelivery), then 7: chained as one segment after seq 5.
      const drafts = [5, 6, 2, 7].map((n) => {
        const envelope = sampleEnvelope(n);
        return recordFromEvent(envelope, `${envelope.type}.${envelope.actor.id}`, {
          receivedAt: RECORDED_AT,
        });
      });
      const segment = chainRecords(drafts, headOf(first[4]), RECORDED_AT);
      expect(await store.appendBatch(segment)).toEqual({
        written: 2,
        stoppedBy: { reason: "duplicate_event", index: 2, eventId: "evt-2" },
      });
      expect(seqs(await store.range(1, 100))).toEqual(range(1, 7));
      expect((await store.lastRecord())?.eventId).toBe("evt-6");
      expect((await store.range(3, 3))[0]?.eventId).toBe("evt-2"); // the original kept its seq
    });

    it("fences two writers extending one head: the second gets seq_taken and writes nothing", async () => {
      const store = await make();
      const base = sampleChain(0, 3);
      await store.appendBatch(base);
      const head = headOf(base[2]);
      const mine = sampleChain(10, 3, head);
      const theirs = sampleChain(20, 3, head);
      expect(await store.appendBatch(mine)).toEqual({ written: 3, stoppedBy: null });
      expect(await store.appendBatch(theirs)).toEqual({
        written: 0,
        stoppedBy: { reason: "seq_taken", index: 0, seq: 4 },
      });
      expect(await store.range(1, 100)).toEqual([...base, ...mine]);
    });

    it("queries by filter in seq order, one page at a time", async () => {
      const store = await make();
      await store.appendBatch(sampleChain(0, 30));

      const decisions = await store.query({ types: ["warden.decision.*"] }, { size: 4 });
      expect(seqs(decisions.items)).toEqual([2, 5, 8, 11]);
      expect(decisions.nextAfterSeq).toBe(11);
      const rest = await store.query({ types: ["warden.decision.*"] }, { size: 100, afterSeq: 11 });
      expect(seqs(rest.items)).toEqual([14, 17, 20, 23, 26, 29]);
      expect(rest.nextAfterSeq).toBeNull();
      // A page that ends exactly on the last match is the last page.
      expect(
        (await store.query({ types: ["warden.decision.*"] }, { size: 6, afterSeq: 11 })).nextAfterSeq,
      ).toBeNull();

      const exact = await store.query(
        { types: ["warden.approval.vote_cast", "warden.action.requested"] },
        { size: 5 },
      );
      expect(seqs(exact.items)).toEqual([1, 3, 4, 6, 7]);
      expect(
        (await store.query({ actionId: "act-000002" }, { size: 10 })).items.map((r) => r.eventId),
      ).toEqual(["evt-6", "evt-7", "evt-8"]);
      expect((await store.query({ actorId: "dana", environment: "staging" }, { size: 10 })).items).toEqual(
        [],
      );
      expect(
        seqs((await store.query({ agentId: "agent-0", environment: "production" }, { size: 10 })).items),
      ).toEqual([1, 22]);
      const window = await store.query(
        { timeFrom: "2025-01-01T00:00:05.000Z", timeTo: "2025-01-01T00:00:08.000Z" },
        { size: 10 },
      );
      expect(seqs(window.items)).toEqual([6, 7, 8]);
      expect(seqs((await store.query({ types: [] }, { size: 3 })).items)).toEqual([1, 2, 3]);
    });

    it("finds every match after a seq with one cursor", async () => {
      const store = await make();
      const records = sampleChain(0, 30);
      await store.appendBatch(records);
      const votes = await collect(store.find({ actorId: "dana" }, 10));
      expect(seqs(votes)).toEqual([12, 15, 18, 21, 24, 27, 30]);
      expect(votes[0]).toEqual(records[11]);
      expect(seqs(await collect(store.find({})))).toEqual(range(1, 30));
    });

    it("saves a checkpoint once per seq and lists them in seq order", async () => {
      const store = await make();
      const records = sampleChain(0, 30);
      await store.appendBatch(records);
      const at = new Date(Date.UTC(2025, 0, 3));
      const checkpointAt = (seq: number, time: Date) => signer.sign(headOf(records[seq - 1]), time);
      const [c10, c20, c30] = [checkpointAt(10, at), checkpointAt(20, at), checkpointAt(30, at)];
      await store.saveCheckpoint(c20);
      await store.saveCheckpoint(c10);
      await store.saveCheckpoint(c30);
      // The same seq again, signed later: a no-op, the first one stays.
      await store.saveCheckpoint(checkpointAt(20, new Date(Date.UTC(2025, 0, 4))));
      expect(await store.checkpoints({ fromSeq: 0 })).toEqual([c10, c20, c30]);
      expect(await store.checkpoints({ fromSeq: 11, toSeq: 30 })).toEqual([c20, c30]);
      expect(await store.checkpoints({ fromSeq: 10, toSeq: 10 })).toEqual([c10]);
      expect(await store.latestCheckpoint()).toEqual(c30);
    });
  });
}
