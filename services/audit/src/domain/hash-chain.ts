// The hash chain. Hash input format, version 1 (also in the package README):
//
//   hash = lowercase hex SHA-256 of the UTF-8 bytes of
//          prevHash + "\n" + RFC8785(record without its `hash` field)
//
// where `record` is the stored document without Mongo's `_id` (which equals `eventId`), with
// `seq`, `prevHash` and `hashVersion` (= 1) included, and prevHash of seq 1 is GENESIS_HASH.
import { hash as digest } from "node:crypto";
import canonicalize from "canonicalize";
import {
  retainUntil,
  type AuditRecord,
  type AuditRecordDraft,
  type UnsealedAuditRecord,
} from "./audit-record.ts";
import { ChainInvariantError } from "./errors.ts";

export const HASH_VERSION = 1;
export const GENESIS_HASH = "0".repeat(64);

/** The last committed record's position and hash; the empty chain is {seq: 0, hash: GENESIS_HASH}. */
export type ChainHead = { readonly seq: number; readonly hash: string };
export const EMPTY_CHAIN: ChainHead = { seq: 0, hash: GENESIS_HASH };

export function headOf(record: Pick<AuditRecord, "seq" | "hash"> | null | undefined): ChainHead {
  return record ? { seq: record.seq, hash: record.hash } : EMPTY_CHAIN;
}

/** RFC 8785 canonical JSON of a record without its hash (via the `canonicalize` library). */
export function canonicalRecordJson(record: UnsealedAuditRecord): string {
  const json = canonicalize(record);
  if (json === undefined) throw new TypeError("record has no JSON representation");
  return json;
}

/** Hash version 1 over a record's canonical JSON (as produced by canonicalRecordJson). */
export function hashV1(prevHash: string, canonicalJson: string): string {
  return digest("sha256", `${prevHash}\n${canonicalJson}`);
}

export function computeRecordHash(record: UnsealedAuditRecord): string {
  return hashV1(record.prevHash, canonicalRecordJson(record));
}

/**
 * Gives a draft its chain position and hash. The returned record is the canonical JSON parsed back,
 * so its keys (at every depth) are in RFC 8785 order and it holds exactly what was hashed; `hash`
 * comes last.
 */
export function sealRecord(
  draft: AuditRecordDraft,
  position: { seq: number; prevHash: string; recordedAt: Date },
): AuditRecord {
  const unsealed: UnsealedAuditRecord = {
    ...draft,
    seq: position.seq,
    recordedAt: position.recordedAt.toISOString(),
    retainUntil: retainUntil(position.recordedAt, draft.retentionClass),
    prevHash: position.prevHash,
    hashVersion: HASH_VERSION,
  };
  const canonical = canonicalRecordJson(unsealed);
  const parsed = JSON.parse(canonical) as UnsealedAuditRecord;
  return { ...parsed, hash: hashV1(position.prevHash, canonical) };
}

/** Seals drafts in order after `head`: seq head.seq + 1, head.seq + 2, …, each linked to the last. */
export function chainRecords(
  drafts: readonly AuditRecordDraft[],
  head: ChainHead,
  recordedAt: Date,
): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prev = head;
  for (const draft of drafts) {
    const record = sealRecord(draft, { seq: prev.seq + 1, prevHash: prev.hash, recordedAt });
    records.push(record);
    prev = record;
  }
  return records;
}

/**
 * The text a record's hash covers (its canonical JSON without `hash`), when the record's content
 * still hashes to its `hash`; undefined when it does not (a change, or an unsupported hashVersion).
 *
 * Fast path: records are stored with their keys in canonical order (sealRecord) and `hash` last,
 * so for an intact record JSON.stringify of the whole record is the hashed text followed by
 * `,"hash":"<hash>"}`. When it ends so, cutting that off gives exactly JSON.stringify of the record
 * without `hash` (no other value can end in `:"<hex>"` unescaped), with no copy of the record; if
 * that text hashes to `hash`, the stored record's JSON value is the one that was hashed. Any
 * difference (a changed value, keys in another order, a non-JSON value) falls back to canonicalize,
 * whose result is the definition. The fast path can only say "intact" when the definition would too.
 */
export function hashedText(record: AuditRecord): string | undefined {
  if (record.hashVersion !== HASH_VERSION) return undefined;
  const { hash, prevHash } = record;
  if (typeof hash !== "string" || typeof prevHash !== "string") return undefined;
  try {
    const whole = JSON.stringify(record);
    const tail = `,"hash":"${hash}"}`;
    let text: string;
    if (whole.endsWith(tail)) {
      text = `${whole.slice(0, whole.length - tail.length)}}`;
    } else {
      const { hash: _hash, ...content } = record;
      text = JSON.stringify(content);
    }
    if (hashV1(prevHash, text) === hash) return text;
  } catch {
    // e.g. a BigInt planted in the document: not JSON, the slow path decides.
  }
  try {
    const { hash: _hash, ...content } = record;
    const text = canonicalRecordJson(content);
    return hashV1(prevHash, text) === hash ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a record's content still hashes to its `hash` (see hashedText). */
export function recordHashMatches(record: AuditRecord): boolean {
  return hashedText(record) !== undefined;
}

/** Throws ChainInvariantError unless `records` are consecutive in seq and each links to the last. */
export function assertChainSegment(records: readonly AuditRecord[]): void {
  for (let i = 1; i < records.length; i++) {
    const prev = records[i - 1];
    const record = records[i];
    if (prev === undefined || record === undefined) continue;
    if (record.seq !== prev.seq + 1 || record.prevHash !== prev.hash) {
      throw new ChainInvariantError(`records[${i}] (seq ${record.seq}) does not follow seq ${prev.seq}`);
    }
  }
}
