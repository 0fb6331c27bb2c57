// Signed checkpoints: a statement "the chain's record at `seq` has hash `hash`", signed with
// Ed25519 over the UTF-8 RFC 8785 JSON of {hash, keyId, seq, time}. Published outside the
// database (wardenaudit.checkpoint), they expose truncation and rewrites done inside it.
import { createPrivateKey, createPublicKey, hash, sign, verify, type KeyObject } from "node:crypto";
import canonicalize from "canonicalize";
import { AuditConfigError } from "./errors.ts";
import type { ChainHead } from "./hash-chain.ts";

export type CheckpointBody = {
  seq: number;
  /** Hash of the record at `seq`. */
  hash: string;
  /** ISO 8601 UTC. */
  time: string;
  /** Names the signing key (signingKeyId), so keys can rotate. */
  keyId: string;
};

export type Checkpoint = CheckpointBody & {
  /** Ed25519 signature, base64. */
  signature: string;
};

/** Public keys checkpoints may be signed with: one key, or several by key id. */
export type CheckpointPublicKeys = KeyObject | ReadonlyMap<string, KeyObject>;

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
/** SPKI DER prefix of an Ed25519 public key; the 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function checkpointSigningInput(body: CheckpointBody): Buffer {
  const { seq, hash: h, time, keyId } = body;
  return Buffer.from(canonicalize({ seq, hash: h, time, keyId }) ?? "", "utf8");
}

/** "ed25519:" + the first 16 hex of SHA-256 over the raw 32-byte public key. */
export function signingKeyId(publicKey: KeyObject): string {
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(ED25519_SPKI_PREFIX.length);
  return `ed25519:${hash("sha256", raw).slice(0, 16)}`;
}

function decodeKeyText(text: string): Buffer {
  const trimmed = text.trim();
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, "base64") : Buffer.alloc(0);
}

/** AUDIT_SIGNING_KEY: a PKCS#8 PEM Ed25519 private key, or base64 of its 32-byte seed. */
export function parseSigningKey(text: string, configKey = "AUDIT_SIGNING_KEY"): KeyObject {
  try {
    const key = text.includes("-----BEGIN")
      ? createPrivateKey(text)
      : createPrivateKey({
          key: Buffer.concat([ED25519_PKCS8_PREFIX, seed32(decodeKeyText(text))]),
          format: "der",
          type: "pkcs8",
        });
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType ?? "unknown"} key`);
    return key;
  } catch (err) {
    throw new AuditConfigError(
      configKey,
      "must be an Ed25519 private key (PKCS#8 PEM, or base64 of the 32-byte seed)",
      {
        cause: err,
      },
    );
  }
}

/** A checkpoint verification key: SPKI PEM, or base64 of the raw 32-byte Ed25519 public key. */
export function parsePublicKey(text: string, configKey = "AUDIT_VERIFY_KEYS"): KeyObject {
  try {
    const key = text.includes("-----BEGIN")
      ? createPublicKey(text)
      : createPublicKey({
          key: Buffer.concat([ED25519_SPKI_PREFIX, seed32(decodeKeyText(text))]),
          format: "der",
          type: "spki",
        });
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType ?? "unknown"} key`);
    return key;
  } catch (err) {
    throw new AuditConfigError(
      configKey,
      "must be an Ed25519 public key (SPKI PEM, or base64 of the 32 raw bytes)",
      {
        cause: err,
      },
    );
  }
}

function seed32(bytes: Buffer): Buffer {
  if (bytes.length !== 32) throw new Error(`expected 32 bytes, got ${bytes.length}`);
  return bytes;
}

export class CheckpointSigner {
  readonly #privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(privateKey: KeyObject) {
    if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "ed25519") {
      throw new AuditConfigError("AUDIT_SIGNING_KEY", "must be an Ed25519 private key");
    }
    this.#privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.keyId = signingKeyId(this.publicKey);
  }

  sign(head: ChainHead, time: Date): Checkpoint {
    const body: CheckpointBody = {
      seq: head.seq,
      hash: head.hash,
      time: time.toISOString(),
      keyId: this.keyId,
    };
    return {
      ...body,
      signature: sign(null, checkpointSigningInput(body), this.#privateKey).toString("base64"),
    };
  }
}

function keyFor(keys: CheckpointPublicKeys, keyId: string): KeyObject | undefined {
  if ("get" in keys) return keys.get(keyId);
  return signingKeyId(keys) === keyId ? keys : undefined;
}

/** Whether a checkpoint carries a valid signature by one of the given keys (matched by keyId). */
export function verifyCheckpointSignature(checkpoint: Checkpoint, keys: CheckpointPublicKeys): boolean {
  const key = keyFor(keys, checkpoint.keyId);
  if (key === undefined || typeof checkpoint.signature !== "string") return false;
  try {
    return verify(null, checkpointSigningInput(checkpoint), key, Buffer.from(checkpoint.signature, "base64"));
  } catch {
    return false;
  }
}
