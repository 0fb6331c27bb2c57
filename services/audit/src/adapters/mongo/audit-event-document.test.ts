import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../domain/audit-record.ts";
import {
  EMPTY_CHAIN,
  canonicalRecordJson,
  chainRecords,
  hashV1,
  recordHashMatches,
} from "../../domain/hash-chain.ts";
import { recordFromEvent } from "../../domain/record-from-event.ts";
import { sampleEnvelope } from "../fakes/sample-events.ts";
import {
  fromAuditEventDocument,
  readAuditEventDocument,
  toAuditEventDocument,
} from "./audit-event-document.ts";

function chainOf(count: number): AuditRecord[] {
  const drafts = Array.from({ length: count }, (_, i) =>
    recordFromEvent(sampleEnvelope(i), `subject.${i}`, { receivedAt: new Date(0) }),
  );
  return chainRecords(drafts, EMPTY_CHAIN, new Date("2025-02-01T00:00:00Z"));
}

const [record] = chainOf(1);
if (record === undefined) throw new Error("no record");
const stored = (): Record<string, unknown> =>
  JSON.parse(JSON.stringify(toAuditEventDocument(record))) as Record<string, unknown>;
/**
 * Whether the document holds an intact record — checked both ways, which must agree: serialising
 * the record, and hashing the stored text where readAuditEventDocument vouches for it.
 */
const intact = (doc: Record<string, unknown>): boolean => {
  const { record: read, hashedText } = readAuditEventDocument(doc);
  const serialised = recordHashMatches(read);
  if (hashedText !== undefined) expect(hashV1(read.prevHash, hashedText) === read.hash).toBe(serialised);
  return serialised;
};

describe("audit event document (layout 2)", () => {
  it("stores the hashed text and the queried fields, and reads back the identical record", () => {
    for (const r of chainOf(6)) {
      const doc = toAuditEventDocument(r);
      const { hash, ...content } = r;
      expect(doc.canonical).toBe(canonicalRecordJson(content));
      // What an auditor checks without Warden code: SHA-256(prevHash + "\n" + canonical).
      expect(createHash("sha256").update(`${r.prevHash}\n${doc.canonical}`).digest("hex")).toBe(hash);
      expect(doc).toMatchObject({
        _id: r.eventId,
        seq: r.seq,
        type: r.type,
        time: r.time,
        actor: { id: r.actor.id, team: r.actor.team },
        agentId: r.agentId,
        actionId: r.actionId,
        what: { action: r.what.action },
        where: { environment: r.where.environment },
        hash,
      });
      const back = fromAuditEventDocument(JSON.parse(JSON.stringify(doc)) as Record<string, unknown>);
      expect(back).toEqual(r);
      expect(JSON.stringify(back)).toBe(JSON.stringify(r)); // key order too: the fast path applies
    }
  });

  it("stores canonical text even for a record whose keys are out of order", () => {
    const reversed = Object.fromEntries(Object.entries(record).reverse()) as AuditRecord;
    const { hash: _hash, ...content } = record;
    expect(toAuditEventDocument(reversed).canonical).toBe(canonicalRecordJson(content));
  });

  it("reads a layout 1 document (the whole record as fields) as before", () => {
    const layout1 = JSON.parse(JSON.stringify({ _id: record.eventId, ...record })) as Record<string, unknown>;
    expect(fromAuditEventDocument(layout1)).toEqual(record);
    expect(intact(layout1)).toBe(true);
    expect(intact({ ...layout1, outcome: "deny" })).toBe(false);
  });

  it("CONTROL: an untouched document, or a real field rewritten with its own value, is intact", () => {
    expect(intact(stored())).toBe(true);
    expect(readAuditEventDocument(stored()).hashedText).toBe(stored().canonical);
    const doc = stored();
    doc.actor = { id: record.actor.id, team: record.actor.team };
    expect(intact(doc)).toBe(true);
  });

  it.each<[string, (doc: Record<string, unknown>) => void]>([
    ["seq", (d) => (d.seq = 2)],
    ["type", (d) => (d.type = "warden.other")],
    ["time", (d) => (d.time = "2030-01-01T00:00:00.000Z")],
    ["actor.id", (d) => (d.actor = { id: "someone-else", team: null })],
    ["actor.team", (d) => (d.actor = { id: record.actor.id, team: "blue" })],
    ["agentId", (d) => (d.agentId = "agent-x")],
    ["actionId", (d) => (d.actionId = "act-x")],
    ["what.action", (d) => (d.what = { action: "db.drop" })],
    ["where.environment", (d) => (d.where = { environment: "development" })],
    ["_id", (d) => (d._id = "evt-other")],
    ["an added real field", (d) => (d.what = { action: record.what.action, target: "service/x" })],
    ["an added top-level field", (d) => (d.outcome = "deny")],
    ["the text", (d) => (d.canonical = String(d.canonical).replace('"outcome":null', '"outcome":"deny"'))],
    ["the text, unreadable", (d) => (d.canonical = String(d.canonical).slice(0, -1))],
    ["the text, not an object", (d) => (d.canonical = "[]")],
    ["the text, given a hash", (d) => (d.canonical = String(d.canonical).replace("{", `{"hash":"x",`))],
    ["the text, removed", (d) => delete d.canonical],
  ])("a change to %s is a change to the record", (_what, change) => {
    const doc = stored();
    change(doc);
    expect(intact(doc)).toBe(false);
    const { hashedText } = readAuditEventDocument(doc);
    if (hashedText !== undefined) expect(hashedText).not.toBe(stored().canonical);
  });

  it("a `__proto__` field in the document becomes a field, never the record's prototype", () => {
    const doc = stored();
    Object.defineProperty(doc, "__proto__", { value: { polluted: true }, enumerable: true });
    const back = fromAuditEventDocument(doc) as AuditRecord & { polluted?: unknown };
    expect(back.polluted).toBeUndefined();
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(recordHashMatches(back)).toBe(false);
  });
});
