// The audit record: who, what, when, where, why and outcome of one event, as stored in
// `audit_events` and covered by the hash chain. Absent values are `null` (never `undefined`), so a
// record round-trips through JSON and BSON unchanged and its canonical JSON is well defined.
import type { JsonValue } from "./json.ts";

export const RETENTION_CLASSES = ["production-7y", "staging-1y", "development-90d"] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];

/** A field value stored encrypted (see field-encryption.ts). Base64 for iv, tag and ct. */
export type EncryptedValue = {
  enc: "aes-256-gcm";
  keyId: string;
  iv: string;
  tag: string;
  ct: string;
};

/** A value that may be stored encrypted, when configuration names its path. */
export type MaybeEncrypted<T> = T | EncryptedValue;

export type AuditActor = {
  /** "human", "ai_agent", "service" (or what the event claimed, when it was something else). */
  type: string;
  id: string;
  name: string | null;
  roles: string[];
  /** Scopes queries for team leads, when the event carries it. */
  team: string | null;
};

export type AuditWhat = {
  action: string | null;
  tool: string | null;
  /** "sha256:<hex>" of the RFC 8785 JSON of the tool arguments; the arguments stay in `data`. */
  argumentsDigest: string | null;
  target: MaybeEncrypted<string> | null;
};

export type AuditWhere = {
  /** "production", "staging", "development", or the event's own value lower-cased. */
  environment: string | null;
  service: string | null;
  resource: MaybeEncrypted<string> | null;
};

export type AuditWhy = {
  reason: MaybeEncrypted<string> | null;
  ticket: string | null;
  ruleIds: string[];
  bundleDigest: string | null;
};

export type AuditApproval = {
  /** Actor id of the voter / approver. */
  by: string;
  /** "approve", "reject", "request_changes", "escalate", "delegate", … when the event says. */
  decision: string | null;
  at: string | null;
  comment: MaybeEncrypted<string> | null;
};

export type AuditAi = {
  model: string | null;
  version: string | null;
  promptDigest: string | null;
  rationale: MaybeEncrypted<string> | null;
  confidence: number | null;
};

/** What `recordFromEvent` produces: everything except the chain fields. */
export type AuditRecordDraft = {
  /** The envelope id; `_id` in Mongo. Unique: a redelivered event is recorded once. */
  eventId: string;
  type: string;
  /** NATS subject the event arrived on. */
  subject: string;
  /** Service that published the event. */
  source: string | null;
  /** Event time from the envelope, ISO 8601 UTC with milliseconds. */
  time: string;
  /** W3C trace id (32 hex) from the envelope's traceparent. */
  traceId: string | null;
  actor: AuditActor;
  actionId: string | null;
  agentId: string | null;
  what: AuditWhat;
  where: AuditWhere;
  why: AuditWhy;
  /** "allow", "deny", "approval_required", "approved", "rejected", "rolled_back", … */
  outcome: string | null;
  approvals: AuditApproval[];
  ai: AuditAi | null;
  retentionClass: RetentionClass;
  /** The event's full `data` (normalised, see json.ts), with encrypted paths replaced. */
  data: JsonValue;
  /** Record-relative paths stored encrypted, e.g. "data.message.body", "approvals.0.comment". */
  encryptedFields: string[];
  /** What was wrong with the envelope, or changed to store it; empty for a well-formed event. */
  issues: string[];
};

/** A record with its chain position, before its hash is computed. */
export type UnsealedAuditRecord = AuditRecordDraft & {
  /** Position in the chain: gapless, from 1. */
  seq: number;
  /** When the record was committed, ISO 8601 UTC. */
  recordedAt: string;
  /** Earliest time the record may be deleted, from retentionClass and recordedAt. */
  retainUntil: string;
  /** Hash of the record at seq - 1; GENESIS_HASH for seq 1. */
  prevHash: string;
  hashVersion: number;
};

export type AuditRecord = UnsealedAuditRecord & {
  /** SHA-256 hex, see hash-chain.ts and the package README. */
  hash: string;
};

const RETENTION: Record<RetentionClass, { years: number; days: number }> = {
  "production-7y": { years: 7, days: 0 },
  "staging-1y": { years: 1, days: 0 },
  "development-90d": { years: 0, days: 90 },
};

/**
 * Retention class for an environment. Unknown or missing environment → the longest class
 * (production, 7 years): keeping a record too long is the safe failure.
 */
export function retentionClassFor(environment: string | null): RetentionClass {
  switch (environment) {
    case "staging":
      return "staging-1y";
    case "development":
      return "development-90d";
    default:
      return "production-7y";
  }
}

/** recordedAt plus the retention period, ISO 8601 UTC. */
export function retainUntil(recordedAt: Date, retentionClass: RetentionClass): string {
  const period = RETENTION[retentionClass];
  const until = new Date(recordedAt.getTime());
  until.setUTCFullYear(until.getUTCFullYear() + period.years);
  until.setUTCDate(until.getUTCDate() + period.days);
  return until.toISOString();
}

export function isEncryptedValue(value: unknown): value is EncryptedValue {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    v.enc === "aes-256-gcm" &&
    typeof v.keyId === "string" &&
    typeof v.iv === "string" &&
    typeof v.tag === "string" &&
    typeof v.ct === "string"
  );
}
