// Field-level encryption of sensitive record fields (AES-256-GCM). Encryption happens before the
// record is hashed, so the chain covers the ciphertext and verification needs no key.
//
// Stored form of an encrypted field: {enc: "aes-256-gcm", keyId, iv, tag, ct} (base64), where
//   ct  = AES-256-GCM(key, iv (12 random bytes), plaintext = UTF-8 RFC 8785 JSON of the value,
//                     aad = "warden-audit-field/v1\n" + eventId + "\n" + path)
// The AAD binds a ciphertext to its record and field: moved to another record or field, it no
// longer decrypts. `path` is the concrete record-relative path, e.g. "data.message.body" or
// "approvals.0.comment", and is listed in the record's `encryptedFields`.
import { createCipheriv, createDecipheriv, hash, randomBytes } from "node:crypto";
import canonicalize from "canonicalize";
import {
  isEncryptedValue,
  type AuditRecordDraft,
  type EncryptedValue,
  type UnsealedAuditRecord,
} from "./audit-record.ts";
import { AuditConfigError, DecryptionError } from "./errors.ts";
import { isJsonObject, type JsonValue } from "./json.ts";

export type EncryptionKey = { readonly keyId: string; readonly key: Buffer };
/** Keys by id, for decrypting records written under earlier keys. */
export type EncryptionKeyring = ReadonlyMap<string, Buffer>;

const ALGORITHM = "aes-256-gcm";
const AAD_PREFIX = "warden-audit-field/v1\n";

/**
 * Record fields that may be configured for encryption: anything under `data`, and the summary
 * fields that may carry free text. Chain and index fields (seq, eventId, type, time, actor, …) may
 * not: they must stay readable to verify and query the trail.
 */
const ENCRYPTABLE_ROOTS = [
  "data.",
  "why.reason",
  "ai.rationale",
  "approvals.comment",
  "what.target",
  "where.resource",
];

/** Parses one key: base64 of 32 bytes, optionally prefixed "keyId:". Default key id: digest-derived. */
export function parseEncryptionKey(text: string, configKey = "AUDIT_ENCRYPTION_KEY"): EncryptionKey {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(":");
  const keyId = colon > 0 ? trimmed.slice(0, colon) : undefined;
  const material = colon > 0 ? trimmed.slice(colon + 1) : trimmed;
  const key = Buffer.from(material, "base64");
  if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) {
    throw new AuditConfigError(
      configKey,
      "must be base64 of 32 random bytes, optionally prefixed with '<keyId>:'",
    );
  }
  return { keyId: keyId ?? defaultKeyId(key), key };
}

/** "aes-" + the first 16 hex of SHA-256 over the key: names the key without revealing it. */
export function defaultKeyId(key: Buffer): string {
  return `aes-${hash("sha256", Buffer.concat([Buffer.from("warden-audit-key-id\n"), key])).slice(0, 16)}`;
}

/** Validates configured paths (AUDIT_ENCRYPTED_FIELDS), naming the first unusable one. */
export function parseEncryptedFieldPaths(
  paths: readonly string[],
  configKey = "AUDIT_ENCRYPTED_FIELDS",
): string[] {
  return paths
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => {
      const ok =
        /^[^.]+(\.[^.]+)*$/.test(p) &&
        ENCRYPTABLE_ROOTS.some((root) => (root.endsWith(".") ? p.startsWith(root) : p === root));
      if (!ok) {
        throw new AuditConfigError(
          configKey,
          `"${p}" cannot be encrypted; allowed: data.<path>, why.reason, ai.rationale, approvals.comment, what.target, where.resource`,
        );
      }
      return p;
    });
}

function aad(eventId: string, path: string): Buffer {
  return Buffer.from(`${AAD_PREFIX}${eventId}\n${path}`, "utf8");
}

export function encryptValue(
  value: JsonValue,
  key: EncryptionKey,
  eventId: string,
  path: string,
): EncryptedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, key.key, iv);
  cipher.setAAD(aad(eventId, path));
  const ct = Buffer.concat([cipher.update(canonicalize(value) ?? "null", "utf8"), cipher.final()]);
  return {
    enc: ALGORITHM,
    keyId: key.keyId,
    iv: iv.toString("base64"),
    tag: cipher.getAuthTag().toString("base64"),
    ct: ct.toString("base64"),
  };
}

export function decryptValue(
  value: EncryptedValue,
  keys: EncryptionKeyring,
  eventId: string,
  path: string,
): JsonValue {
  const key = keys.get(value.keyId);
  if (key === undefined) throw new DecryptionError(path, `no key with id ${value.keyId}`);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(value.iv, "base64"));
    decipher.setAAD(aad(eventId, path));
    decipher.setAuthTag(Buffer.from(value.tag, "base64"));
    const plain = Buffer.concat([decipher.update(Buffer.from(value.ct, "base64")), decipher.final()]);
    return JSON.parse(plain.toString("utf8")) as JsonValue;
  } catch (err) {
    throw new DecryptionError(path, "authentication failed (wrong key, or ciphertext moved or altered)", {
      cause: err,
    });
  }
}

type Container = Record<string, unknown> | unknown[];

/**
 * Calls `visit` for every concrete location of a dotted path; arrays on the way are traversed
 * element by element (as in Mongo queries), so "approvals.comment" reaches every approval.
 */
function forEachLocation(
  node: unknown,
  segments: readonly string[],
  concrete: string[],
  visit: (container: Container, key: string | number, path: string) => void,
): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  if (Array.isArray(node)) {
    if (/^\d+$/.test(head)) {
      const index = Number(head);
      if (index >= node.length) return;
      if (rest.length === 0) visit(node, index, [...concrete, head].join("."));
      else forEachLocation(node[index], rest, [...concrete, head], visit);
    } else {
      node.forEach((item: unknown, index) =>
        forEachLocation(item, segments, [...concrete, String(index)], visit),
      );
    }
    return;
  }
  if (!isJsonObject(node) || !Object.hasOwn(node, head)) return;
  if (rest.length === 0) visit(node, head, [...concrete, head].join("."));
  else forEachLocation(node[head], rest, [...concrete, head], visit);
}

function setAt(container: Container, key: string | number, value: unknown): void {
  if (Array.isArray(container)) container[key as number] = value;
  else Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Encrypts the configured paths of record drafts; null and absent values are left alone. */
export class FieldEncryptor {
  readonly #key: EncryptionKey;
  readonly #paths: readonly string[];

  constructor(options: { key: EncryptionKey; paths: readonly string[] }) {
    this.#key = options.key;
    this.#paths = parseEncryptedFieldPaths(options.paths);
  }

  get keyId(): string {
    return this.#key.keyId;
  }

  encrypt(draft: AuditRecordDraft): AuditRecordDraft {
    if (this.#paths.length === 0) return draft;
    const copy = structuredClone(draft);
    const encrypted = new Set(copy.encryptedFields);
    const secrets: string[] = [];
    const encryptAt = (path: string, onlyIf?: (value: unknown) => boolean): void => {
      forEachLocation(copy, path.split("."), [], (container, key, concrete) => {
        const current = (container as Record<string | number, unknown>)[key];
        if (current === null || current === undefined || isEncryptedValue(current) || encrypted.has(concrete))
          return;
        if (onlyIf !== undefined && !onlyIf(current)) return;
        collectStrings(current, secrets);
        setAt(container, key, encryptValue(current as JsonValue, this.#key, copy.eventId, concrete));
        encrypted.add(concrete);
      });
    };
    for (const path of this.#paths) encryptAt(path);
    // The summary fields are copies of `data`: one that repeats an encrypted value is encrypted too,
    // so naming "data.request.reason" also hides why.reason.
    const repeatsSecret = (value: unknown): boolean =>
      typeof value === "string" && secrets.some((s) => value === s || (s.length >= 8 && value.includes(s)));
    if (secrets.length > 0) for (const path of SUMMARY_COPIES) encryptAt(path, repeatsSecret);
    copy.encryptedFields = [...encrypted].sort();
    return copy;
  }
}

/** Free-text summary fields filled from `data` by recordFromEvent. */
const SUMMARY_COPIES = ["why.reason", "ai.rationale", "approvals.comment", "what.target", "where.resource"];

function collectStrings(value: unknown, into: string[]): void {
  if (typeof value === "string") into.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (isJsonObject(value)) for (const v of Object.values(value)) collectStrings(v, into);
}

/** A copy of a record with its encrypted fields (those listed in `encryptedFields`) in clear. */
export function decryptRecord<R extends AuditRecordDraft | UnsealedAuditRecord>(
  record: R,
  keys: EncryptionKeyring | EncryptionKey,
): R {
  const keyring: EncryptionKeyring = "keyId" in keys ? new Map([[keys.keyId, keys.key]]) : keys;
  const copy = structuredClone(record);
  for (const path of record.encryptedFields) {
    const segments = path.split(".");
    let container: unknown = copy;
    for (const segment of segments.slice(0, -1)) {
      container =
        isJsonObject(container) || Array.isArray(container)
          ? (container as Record<string, unknown>)[segment]
          : undefined;
    }
    const last = segments.at(-1);
    if (last === undefined || !(isJsonObject(container) || Array.isArray(container))) continue;
    const key: string | number = Array.isArray(container) ? Number(last) : last;
    const value = (container as Record<string | number, unknown>)[key];
    if (!isEncryptedValue(value)) continue;
    setAt(container, key, decryptValue(value, keyring, record.eventId, path));
  }
  return copy;
}
