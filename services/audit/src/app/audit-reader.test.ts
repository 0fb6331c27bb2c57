import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createInMemoryAuditStore } from "../adapters/fakes/in-memory-audit-store.ts";
import { InMemoryAccessLog, InMemoryRecordFeed } from "../adapters/fakes/in-memory-ports.ts";
import { sampleIncoming } from "../testing/sample-events.ts";
import { CheckpointSigner } from "../domain/checkpoint.ts";
import type { AuditRecord } from "../domain/audit-record.ts";
import type { Reader } from "./access-scope.ts";
import { createAuditReader } from "./audit-reader.ts";
import { createAuditWriter } from "./audit-writer.ts";
import { createCheckpointer } from "./checkpointer.ts";
import { headOf } from "../domain/hash-chain.ts";

const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);
const auditor: Reader = { id: "eve", type: "human", roles: ["auditor"] };
const engineer: Reader = { id: "dana", type: "human", roles: ["engineer"] };
const lead: Reader = { id: "lee", type: "human", roles: ["team-lead"], team: "payments" };

async function fixture(count = 30) {
  const store = createInMemoryAuditStore();
  const writer = createAuditWriter({ store });
  await writer.write(sampleIncoming(0, count));
  const accessLog = new InMemoryAccessLog();
  const feed = new InMemoryRecordFeed();
  const reader = createAuditReader({ store, accessLog, feed, publicKeys: signer.publicKey });
  return { store, writer, accessLog, feed, reader };
}

describe("AuditReader", () => {
  it("scopes queries by role and records each read before answering", async () => {
    const { reader, accessLog } = await fixture();
    const all = await reader.query(auditor, {}, { size: 1000 });
    expect(all.items).toHaveLength(30);
    const own = await reader.query(engineer, {}, { size: 1000 });
    expect(own.items.length).toBeGreaterThan(0);
    expect(own.items.every((r) => r.actor.id === "dana")).toBe(true);
    // The samples carry no team: a team lead sees nothing of them.
    expect((await reader.query(lead, {}, { size: 1000 })).items).toEqual([]);
    expect(accessLog.accesses.map((a) => [a.method, a.reader.id, a.scope.kind])).toEqual([
      ["query", "eve", "all"],
      ["query", "dana", "own"],
      ["query", "lee", "team"],
    ]);
  });

  it("scopes 'own' by actor type as well as id: a human named like an agent sees none of its records", async () => {
    const { reader, store } = await fixture();
    const agentRecords = (await store.query({ actorId: "agent-3" }, { size: 1000 })).items;
    expect(agentRecords.length).toBeGreaterThan(0); // the agent's own records exist…
    expect(agentRecords.every((r) => r.actor.type === "ai_agent")).toBe(true);
    const namesake: Reader = { id: "agent-3", type: "human", roles: ["engineer"] };
    expect((await reader.query(namesake, {}, { size: 1000 })).items).toEqual([]); // …but not for a human
    const exported: AuditRecord[] = [];
    for await (const r of await reader.export(namesake, {})) exported.push(r);
    expect(exported).toEqual([]);
    // Control: the agent itself, reading with an engineer's role, sees them.
    const agent: Reader = { id: "agent-3", type: "ai_agent", roles: ["engineer"] };
    expect((await reader.query(agent, {}, { size: 1000 })).items).toHaveLength(agentRecords.length);
  });

  it("refuses a read it cannot record, and one by a reader without an audit role (unrecorded)", async () => {
    const { reader, accessLog } = await fixture();
    accessLog.down = true;
    await expect(reader.query(auditor, {}, { size: 10 })).rejects.toThrow(/cannot record this read/);
    await expect(reader.verify(auditor, {})).rejects.toThrow(/cannot record this read/);
    accessLog.down = false;
    await expect(reader.query({ id: "x", type: "human", roles: [] }, {}, { size: 10 })).rejects.toThrow(
      /no audit role/,
    );
    expect(accessLog.accesses).toEqual([]);
  });

  it("exports the scoped records in seq order, and verifies", async () => {
    const { reader, accessLog } = await fixture();
    const seqs: number[] = [];
    for await (const r of await reader.export(engineer, {})) seqs.push(r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.length).toBe(10); // every third sample is dana's vote
    expect(await reader.verify(auditor, {})).toMatchObject({ ok: true, count: 30 });
    expect(accessLog.accesses.map((a) => a.method)).toEqual(["export", "verify"]);
  });

  it("verifies against the checkpoints outside the database when it has them, and refuses without them", async () => {
    const { store, accessLog, feed } = await fixture(30);
    const checkpointer = createCheckpointer({ store, signer, every: 10, intervalMs: 3_600_000 });
    const published = [await checkpointer.checkpoint(headOf((await store.range(30, 30))[0] ?? null))];
    const outside = { source: "stream" as const, down: false, read: () => Promise.resolve(published) };
    const external = {
      source: outside.source,
      read: () => (outside.down ? Promise.reject(new Error("injected: no NATS")) : outside.read()),
    };
    const withStream = createAuditReader({
      store,
      accessLog,
      feed,
      publicKeys: signer.publicKey,
      checkpoints: external,
    });
    const dbOnly = createAuditReader({ store, accessLog, feed, publicKeys: signer.publicKey });
    // CONTROL: intact, either way.
    expect(await withStream.verify(auditor, {})).toMatchObject({ ok: true, checkpointSource: "stream" });
    expect(await dbOnly.verify(auditor, {})).toMatchObject({ ok: true, checkpointSource: "database" });
    // The tail truncated and the database's checkpoint deleted with it.
    store.unsafeRecords().splice(20);
    store.unsafeCheckpoints().clear();
    expect(await dbOnly.verify(auditor, {})).toMatchObject({ ok: true }); // nothing left to compare with
    expect(await withStream.verify(auditor, {})).toMatchObject({
      ok: false,
      firstBadSeq: 21,
      problem: "truncated",
      checkpointSource: "stream",
    });
    outside.down = true;
    await expect(withStream.verify(auditor, {})).rejects.toThrow(
      /cannot read the signed checkpoints from the stream/,
    );
  });

  it("tails: stored records after a seq, then live ones, filling a gap in the live feed from the store", async () => {
    const { reader, feed, store, writer } = await fixture(10);
    const abort = new AbortController();
    const seen: AuditRecord[] = [];
    const done = (async () => {
      for await (const r of reader.tail(auditor, { afterSeq: 7 }, abort.signal)) {
        seen.push(r);
        if (seen.length === 8) abort.abort();
      }
    })().catch((err: unknown) => err);
    await expect.poll(() => feed.subscribers, { interval: 1 }).toBeGreaterThan(0);
    const more = await writer.write(sampleIncoming(10, 5)); // seqs 11..15
    const live = more.committed.map((c) => c.record);
    // The feed drops 11 and 12 (a slow subscriber's overflow): they come from the store.
    for (const r of live.slice(2)) feed.push(r);
    expect(await done).toBeInstanceOf(Error); // ended by the abort
    expect(seen.map((r) => r.seq)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect((await store.lastRecord())?.seq).toBe(15);
    expect(feed.subscribers).toBe(0);
  });
});
