// How a record is stored in `audit_events` (layout 2, docs/adr/0007-audit-document-layout.md):
// the fields that queries, indexes and the writer's lookups use as real fields, and the record's
// hashed text — its canonical JSON without `hash` — as one string. A Mongo-wire store pays per
// field and per nesting level (FerretDB 1.24 most of all); one string costs it almost nothing.
//
// Reading a document back is "the text, with the real fields laid over it": every real field of
// the document (each key at any depth, except `canonical`; `_id` as `eventId`) replaces the same
// path of the parsed text. The writer stores copies of the text's own values, so for an intact
// document this changes nothing; a real field changed in the database (or one added) changes the
// record, which then no longer hashes to its `hash`, and Verify names its seq. A document without
// `canonical` (layout 1: the whole record as fields) reads back as before.
//
// When the real fields change nothing, the record is exactly the text parsed (plus its hash), so a
// verifier may hash the stored text itself rather than serialise the record again (readAuditEvent
// Document's hashedText).
import type { HashedRecord } from "../../app/audit-store.ts";
import type { AuditRecord } from "../../domain/audit-record.ts";
import { canonicalRecordJson, hashedText } from "../../domain/hash-chain.ts";

/** A record as stored. Fields other than `canonical` are copies of the record's own values. */
export type AuditEventDocument = {
  /** The record's eventId: a redelivered event is a duplicate key. */
  _id: string;
  seq: number;
  type: string;
  time: string;
  actor: { id: string; team: string | null };
  agentId: string | null;
  actionId: string | null;
  what: { action: string | null };
  where: { environment: string | null };
  hash: string;
  /** The record without `hash` as RFC 8785 canonical JSON: exactly the text its hash covers. */
  canonical: string;
};

/** The document for a record. The stored text is the hashed text whenever the record is intact. */
export function toAuditEventDocument(record: AuditRecord): AuditEventDocument {
  return {
    _id: record.eventId,
    seq: record.seq,
    type: record.type,
    time: record.time,
    actor: { id: record.actor.id, team: record.actor.team },
    agentId: record.agentId,
    actionId: record.actionId,
    what: { action: record.what.action },
    where: { environment: record.where.environment },
    hash: record.hash,
    canonical: hashedText(record) ?? canonicalOf(record),
  };
}

/** A record that does not hash to its `hash` (a caller's bug): stored as it is, Verify will say so. */
function canonicalOf(record: AuditRecord): string {
  const { hash: _hash, ...content } = record;
  return canonicalRecordJson(content);
}

type Fields = Record<string, unknown>;

function isPlainObject(value: unknown): value is Fields {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function setField(target: Fields, key: string, value: unknown): void {
  if (key === "__proto__") {
    // An own property, never the object's prototype.
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Lays `fields` over `target` in place: objects merge key by key, anything else replaces. Returns
 * whether that changed `target` (false only when every laid value is a string, number, boolean or
 * null equal to the one there, at a key that was there).
 */
function overlay(target: Fields, fields: Fields): boolean {
  let changed = false;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    const present = Object.hasOwn(target, key);
    const current = present ? target[key] : undefined;
    if (isPlainObject(value) && isPlainObject(current)) {
      if (overlay(current, value)) changed = true;
    } else {
      if (!present || !sameScalar(current, value)) changed = true;
      setField(target, key, value);
    }
  }
  return changed;
}

function sameScalar(a: unknown, b: unknown): boolean {
  const scalar = (v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v);
  return scalar(a) && Object.is(a, b);
}

/** The text parsed, or undefined when it is not a JSON object without `hash` (as the writer writes). */
function parsedText(text: string): Fields | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    // The writer never puts `hash` in the text (the real field holds it).
    return isPlainObject(parsed) && !Object.hasOwn(parsed, "hash") ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record a stored document holds, and the stored text when the record is exactly that text
 * parsed plus the document's hash (nothing in the document but copies of the text's values).
 * Any document works: layout 2, layout 1 (no `canonical`), or one someone changed; the record
 * verifies only if the document is intact.
 */
export function readAuditEventDocument(doc: Fields): HashedRecord {
  const { _id: id, canonical, ...fields } = doc;
  // Parsing keeps the text's key order (canonical), which the fast verification path relies on;
  // `hash` is not in the text, so it lands last.
  const parsed = typeof canonical === "string" ? parsedText(canonical) : undefined;
  // Unreadable text: the record is what the real fields say (no prevHash, …), which never hashes
  // to anything, so Verify reports this seq as modified.
  const record: Fields = parsed ?? (canonical === undefined ? {} : { canonical });
  const { hash, ...queried } = fields;
  let changed = overlay(record, queried);
  if (id !== undefined) {
    if (!sameScalar(record.eventId, id)) changed = true;
    setField(record, "eventId", id);
  }
  setField(record, "hash", hash);
  const exact = parsed !== undefined && !changed && typeof hash === "string";
  return { record: record as AuditRecord, hashedText: exact ? (canonical as string) : undefined };
}

/** The record a stored document holds (see readAuditEventDocument). */
export function fromAuditEventDocument(doc: Fields): AuditRecord {
  return readAuditEventDocument(doc).record;
}
