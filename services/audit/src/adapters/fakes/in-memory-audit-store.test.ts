import { describe, expect, it } from "vitest";
import { createAuditWriter } from "../../app/audit-writer.ts";
import { createInMemoryAuditStore } from "./in-memory-audit-store.ts";
import { sampleIncoming } from "../../testing/sample-events.ts";

describe("InMemoryAuditStore", () => {
  it("filters and pages in seq order", async () => {
    const store = createInMemoryAuditStore();
    await createAuditWriter({ store }).write(sampleIncoming(0, 30));

    const decisions = await store.query({ types: ["warden.decision.*"] }, { size: 4 });
    expect(decisions.items.map((r) => r.seq)).toEqual([2, 5, 8, 11]);
    expect(decisions.nextAfterSeq).toBe(11);
    const next = await store.query({ types: ["warden.decision.*"] }, { size: 100, afterSeq: 11 });
    expect(next.items.map((r) => r.seq)).toEqual([14, 17, 20, 23, 26, 29]);
    expect(next.nextAfterSeq).toBeNull();

    expect((await store.query({ actionId: "act-000002" }, { size: 10 })).items.map((r) => r.eventId)).toEqual(
      ["evt-6", "evt-7", "evt-8"],
    );
    expect((await store.query({ actorId: "dana", environment: "staging" }, { size: 10 })).items).toHaveLength(
      0,
    );
    expect(
      (await store.query({ agentId: "agent-0", environment: "production" }, { size: 10 })).items.map(
        (r) => r.seq,
      ),
    ).toEqual([1, 22]);
    const window = await store.query(
      { timeFrom: "2025-01-01T00:00:05.000Z", timeTo: "2025-01-01T00:00:08.000Z" },
      { size: 10 },
    );
    expect(window.items.map((r) => r.seq)).toEqual([6, 7, 8]);
  });

  it("looks up event ids and the chain's tail", async () => {
    const store = createInMemoryAuditStore();
    await createAuditWriter({ store }).write(sampleIncoming(0, 10));
    expect([...(await store.existingEventIds(["evt-3", "evt-99", "evt-9"]))].sort()).toEqual([
      "evt-3",
      "evt-9",
    ]);
    expect((await store.recentEvents(3)).map((e) => [e.eventId, e.seq])).toEqual([
      ["evt-7", 8],
      ["evt-8", 9],
      ["evt-9", 10],
    ]);
    expect(await store.recentEvents(0)).toEqual([]);
    const streamed: number[] = [];
    for await (const r of store.stream(4, 6)) streamed.push(r.seq);
    expect(streamed).toEqual([4, 5, 6]);
  });
});
