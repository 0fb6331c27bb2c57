import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sampleEnvelope } from "../testing/sample-events.ts";
import { isEncryptedValue, type EncryptedValue } from "./audit-record.ts";
import { AuditConfigError, DecryptionError } from "./errors.ts";
import {
  FieldEncryptor,
  decryptRecord,
  decryptValue,
  parseEncryptedFieldPaths,
  parseEncryptionKey,
  type EncryptionKey,
} from "./field-encryption.ts";
import { EMPTY_CHAIN, chainRecords, recordHashMatches } from "./hash-chain.ts";
import { isJsonObject } from "./json.ts";
import { recordFromEvent } from "./record-from-event.ts";

const key: EncryptionKey = parseEncryptionKey(randomBytes(32).toString("base64"));
const draftOf = (n: number) => recordFromEvent(sampleEnvelope(n), "s", { receivedAt: new Date(0) });

function bodyOf(data: unknown): unknown {
  return isJsonObject(data) && isJsonObject(data.message) ? data.message.body : undefined;
}

describe("field encryption (AES-256-GCM)", () => {
  const encryptor = new FieldEncryptor({
    key,
    paths: ["data.message.body", "data.reason", "approvals.comment"],
  });

  it("stores configured fields as ciphertext and decrypts them back", () => {
    const draft = draftOf(0);
    const sealed = encryptor.encrypt(draft);
    const body = bodyOf(sealed.data);
    expect(isEncryptedValue(body)).toBe(true);
    expect(body).toMatchObject({ enc: "aes-256-gcm", keyId: key.keyId });
    expect(JSON.stringify(sealed)).not.toContain("your refund");
    expect(JSON.stringify(sealed)).not.toContain("fix rounding bug");
    // why.reason repeats data.reason, so it is encrypted too.
    expect(sealed.encryptedFields).toEqual(["data.message.body", "data.reason", "why.reason"]);
    expect(bodyOf(draft.data)).toBe("Dear customer 0, your refund is on its way."); // the input is not mutated

    expect(decryptRecord(sealed, key)).toEqual({ ...draft, encryptedFields: sealed.encryptedFields });
  });

  it("reaches every element of an array on the path", () => {
    const sealed = encryptor.encrypt(draftOf(2));
    expect(sealed.encryptedFields).toEqual(["approvals.0.comment"]);
    expect(isEncryptedValue(sealed.approvals[0]?.comment)).toBe(true);
    expect(decryptRecord(sealed, new Map([[key.keyId, key.key]])).approvals[0]?.comment).toBe("looks good");
  });

  it("leaves absent and null values alone", () => {
    const sealed = new FieldEncryptor({ key, paths: ["data.nothing.here", "ai.rationale"] }).encrypt({
      ...draftOf(2),
      ai: null,
    });
    expect(sealed.encryptedFields).toEqual([]);
  });

  it("is covered by the hash: verification needs no key, and a changed ciphertext is detected", () => {
    const [record] = chainRecords([encryptor.encrypt(draftOf(0))], EMPTY_CHAIN, new Date(0));
    if (record === undefined) throw new Error("no record");
    expect(recordHashMatches(record)).toBe(true);
    const ct = bodyOf(record.data) as EncryptedValue;
    const flipped = Buffer.from(ct.ct, "base64");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    const tampered = structuredClone(record);
    (bodyOf(tampered.data) as EncryptedValue).ct = flipped.toString("base64");
    expect(recordHashMatches(tampered)).toBe(false);
    expect(() => decryptRecord(tampered, key)).toThrow(DecryptionError);
  });

  it("binds a ciphertext to its record and field, and to its key", () => {
    const a = encryptor.encrypt(draftOf(0));
    const moved = bodyOf(a.data) as EncryptedValue;
    expect(() =>
      decryptValue(moved, new Map([[key.keyId, key.key]]), "another-event", "data.message.body"),
    ).toThrow(DecryptionError);
    expect(() => decryptValue(moved, new Map([[key.keyId, key.key]]), a.eventId, "data.reason")).toThrow(
      DecryptionError,
    );
    const otherKey = parseEncryptionKey(`${key.keyId}:${randomBytes(32).toString("base64")}`);
    expect(() => decryptRecord(a, otherKey)).toThrow(/authentication failed/);
    expect(() => decryptRecord(a, new Map())).toThrow(/no key with id/);
  });

  it("validates configuration, naming the offending key or path", () => {
    expect(parseEncryptionKey(`k1:${randomBytes(32).toString("base64")}`).keyId).toBe("k1");
    expect(parseEncryptionKey(randomBytes(32).toString("base64")).keyId).toMatch(/^aes-[0-9a-f]{16}$/);
    expect(() => parseEncryptionKey(randomBytes(16).toString("base64"))).toThrow(/^AUDIT_ENCRYPTION_KEY: /);
    expect(parseEncryptedFieldPaths([" data.a.b ", "", "ai.rationale"])).toEqual([
      "data.a.b",
      "ai.rationale",
    ]);
    expect(() => parseEncryptedFieldPaths(["seq"])).toThrow(AuditConfigError);
    expect(() => parseEncryptedFieldPaths(["actor.id"])).toThrow(/"actor.id" cannot be encrypted/);
    expect(() => parseEncryptedFieldPaths(["data..x"])).toThrow(AuditConfigError);
  });
});
