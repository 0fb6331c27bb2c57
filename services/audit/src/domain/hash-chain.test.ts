import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sampleEnvelope } from "../testing/sample-events.ts";
import type { AuditRecord } from "./audit-record.ts";
import {
  EMPTY_CHAIN,
  GENESIS_HASH,
  canonicalRecordJson,
  chainRecords,
  computeRecordHash,
  hashedText,
  recordHashMatches,
  sealRecord,
} from "./hash-chain.ts";
import type { JsonValue } from "./json.ts";
import { recordFromEvent } from "./record-from-event.ts";

// Known vector (hash version 1), for other implementations of the verifier: this envelope, recorded
// as seq 1 at 2025-01-01T12:00:00.100Z, has exactly this canonical JSON and this hash.
const VECTOR_ENVELOPE = {
  id: "evt-0001",
  type: "warden.action.requested",
  source: "sdk",
  time: "2025-01-01T12:00:00Z",
  actionId: "act-1",
  actor: { type: "ai_agent", id: "deploy-bot", roles: ["deployer"] },
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  data: {
    actionId: "act-1",
    agentId: "deploy-bot",
    action: "code.deploy",
    environment: "ENVIRONMENT_PRODUCTION",
    target: "service/payments-api",
    reason: "fix rounding bug",
    arguments: { ref: "v1.2.3" },
  },
};
const VECTOR_CANONICAL_JSON =
  '{"actionId":"act-1","actor":{"id":"deploy-bot","name":null,"roles":["deployer"],"team":null,"type":"ai_agent"},' +
  '"agentId":"deploy-bot","ai":null,"approvals":[],"data":{"action":"code.deploy","actionId":"act-1","agentId":"deploy-bot",' +
  '"arguments":{"ref":"v1.2.3"},"environment":"ENVIRONMENT_PRODUCTION","reason":"fix rounding bug","target":"service/payments-api"},' +
  '"encryptedFields":[],"eventId":"evt-0001","hashVersion":1,"issues":[],"outcome":null,' +
  '"prevHash":"0000000000000000000000000000000000000000000000000000000000000000",' +
  '"recordedAt":"2025-01-01T12:00:00.100Z","retainUntil":"2032-01-01T12:00:00.100Z","retentionClass":"production-7y",' +
  '"seq":1,"source":"sdk","subject":"warden.action.requested.deploy-bot","time":"2025-01-01T12:00:00.000Z",' +
  '"traceId":"0af7651916cd43dd8448eb211c80319c","type":"warden.action.requested",' +
  '"what":{"action":"code.deploy","argumentsDigest":"sha256:f58a561c6fdc95613c3fdd7ac83df58a4948be12390bf592a936b52e05cc477d",' +
  '"target":"service/payments-api","tool":null},"where":{"environment":"production","resource":"service/payments-api","service":null},' +
  '"why":{"bundleDigest":null,"reason":"fix rounding bug","ruleIds":[],"ticket":null}}';
const VECTOR_HASH = "8b02ab48069e3f98d88e745e54b1c733efad15f382e256c3817f935d3eae19ea";

function chainOf(count: number): AuditRecord[] {
  const drafts = Array.from({ length: count }, (_, i) =>
    recordFromEvent(sampleEnvelope(i), `subject.${i}`, { receivedAt: new Date(0) }),
  );
  return chainRecords(drafts, EMPTY_CHAIN, new Date("2025-02-01T00:00:00Z"));
}

/** The record of the documented known vector (VECTOR_CANONICAL_JSON, VECTOR_HASH). */
function vectorRecord(): AuditRecord {
  const draft = recordFromEvent(VECTOR_ENVELOPE, "warden.action.requested.deploy-bot", {
    receivedAt: new Date(0),
  });
  return sealRecord(draft, {
    seq: 1,
    prevHash: GENESIS_HASH,
    recordedAt: new Date("2025-01-01T12:00:00.100Z"),
  });
}

describe("hash chain, version 1", () => {
  it("matches the documented known vector", () => {
    const record = vectorRecord();
    const { hash, ...content } = record;
    expect(canonicalRecordJson(content)).toBe(VECTOR_CANONICAL_JSON);
    expect(hash).toBe(VECTOR_HASH);
    // The format, re-implemented without any Warden code: SHA-256(prevHash + "\n" + canonical JSON).
    const independent = createHash("sha256")
      .update(`${GENESIS_HASH}\n${VECTOR_CANONICAL_JSON}`, "utf8")
      .digest("hex");
    expect(independent).toBe(VECTOR_HASH);
  });

  it("links each record to the previous one with gapless seqs from the head", () => {
    const records = chainOf(5);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(records[0]?.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < records.length; i++) expect(records[i]?.prevHash).toBe(records[i - 1]?.hash);
    for (const r of records) expect(computeRecordHash((({ hash: _h, ...rest }) => rest)(r))).toBe(r.hash);
  });

  it("stores records in canonical key order, so JSON.stringify reproduces the hashed text", () => {
    for (const record of chainOf(3)) {
      const { hash: _h, ...content } = record;
      expect(JSON.stringify(content)).toBe(canonicalize(content));
    }
  });

  it("detects any change to a record's content", () => {
    const [record] = chainOf(1);
    if (record === undefined) throw new Error("no record");
    expect(recordHashMatches(record)).toBe(true);
    expect(recordHashMatches({ ...record, outcome: "deny" })).toBe(false);
    expect(recordHashMatches({ ...record, seq: 2 })).toBe(false);
    expect(recordHashMatches({ ...record, data: { ...(record.data as object), extra: 1 } })).toBe(false);
    expect(recordHashMatches({ ...record, hashVersion: 2 })).toBe(false);
  });

  it("still verifies an intact record whose keys came back in another order (slow path)", () => {
    const [record] = chainOf(1);
    if (record === undefined) throw new Error("no record");
    const reversed = Object.fromEntries(Object.entries(record).reverse()) as AuditRecord;
    expect(JSON.stringify(reversed)).not.toBe(JSON.stringify(record));
    expect(recordHashMatches(reversed)).toBe(true);
  });

  it("hashedText gives the exact hashed text on either path, and nothing for a changed record", () => {
    const record = vectorRecord();
    expect(hashedText(record)).toBe(VECTOR_CANONICAL_JSON);
    const reversed = Object.fromEntries(Object.entries(record).reverse()) as AuditRecord;
    expect(hashedText(reversed)).toBe(VECTOR_CANONICAL_JSON);
    // `hash` not last, followed by a value that spells the fast path's ending: still decided right.
    const { hash, ...content } = record;
    const mimic = { ...content, hash, zz: `,"hash":"${hash}"}` } as AuditRecord;
    expect(JSON.stringify(mimic).endsWith(`"}`)).toBe(true);
    expect(hashedText(mimic)).toBeUndefined();
    // A key JSON leaves out changes nothing.
    expect(hashedText({ ...record, zz: undefined } as AuditRecord)).toBe(VECTOR_CANONICAL_JSON);
    expect(hashedText({ ...record, outcome: "deny" })).toBeUndefined();
    expect(hashedText({ ...record, prevHash: "1".repeat(64) })).toBeUndefined();
    expect(hashedText({ ...record, hash: hash.toUpperCase() })).toBeUndefined();
  });

  it("fast and canonical paths agree for arbitrary JSON data (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (data, other) => {
        const draft = recordFromEvent({ ...VECTOR_ENVELOPE, data }, "s", { receivedAt: new Date(0) });
        const record = sealRecord(draft, { seq: 1, prevHash: GENESIS_HASH, recordedAt: new Date(0) });
        expect(recordHashMatches(record)).toBe(true);
        const changed = { ...record, data: other as JsonValue };
        const same = canonicalize(changed.data) === canonicalize(record.data);
        expect(recordHashMatches(changed)).toBe(same);
      }),
      { numRuns: 300 },
    );
  });
});
