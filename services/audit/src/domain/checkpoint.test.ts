import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CheckpointSigner,
  checkpointSigningInput,
  parsePublicKey,
  parseSigningKey,
  signingKeyId,
  verifyCheckpointSignature,
} from "./checkpoint.ts";
import { AuditConfigError } from "./errors.ts";

const HEAD = { seq: 1200, hash: "ab".repeat(32) };
const TIME = new Date("2025-03-01T10:00:00Z");

describe("checkpoints", () => {
  const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);

  it("signs {seq, hash, time, keyId} as canonical JSON and verifies with the public key", () => {
    const cp = signer.sign(HEAD, TIME);
    expect(cp).toMatchObject({
      seq: 1200,
      hash: HEAD.hash,
      time: "2025-03-01T10:00:00.000Z",
      keyId: signer.keyId,
    });
    expect(checkpointSigningInput(cp).toString()).toBe(
      `{"hash":"${HEAD.hash}","keyId":"${signer.keyId}","seq":1200,"time":"2025-03-01T10:00:00.000Z"}`,
    );
    expect(verifyCheckpointSignature(cp, signer.publicKey)).toBe(true);
    expect(verifyCheckpointSignature(cp, new Map([[signer.keyId, signer.publicKey]]))).toBe(true);
  });

  it("refuses a wrong key, an unknown key id and any altered field", () => {
    const cp = signer.sign(HEAD, TIME);
    const stranger = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);
    expect(verifyCheckpointSignature(cp, stranger.publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...cp, keyId: stranger.keyId }, stranger.publicKey)).toBe(false);
    expect(verifyCheckpointSignature(cp, new Map())).toBe(false);
    expect(verifyCheckpointSignature({ ...cp, seq: 1201 }, signer.publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...cp, hash: "cd".repeat(32) }, signer.publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...cp, time: "2025-03-01T10:00:01.000Z" }, signer.publicKey)).toBe(
      false,
    );
    expect(verifyCheckpointSignature({ ...cp, signature: "not base64!" }, signer.publicKey)).toBe(false);
  });

  it("reads keys from PEM or from base64 raw bytes, with a stable key id", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(16).toString("base64");
    const rawPublic = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");

    const fromPem = new CheckpointSigner(parseSigningKey(pem));
    const fromSeed = new CheckpointSigner(parseSigningKey(seed));
    expect(fromSeed.keyId).toBe(fromPem.keyId);
    expect(fromPem.keyId).toBe(signingKeyId(publicKey));
    expect(fromPem.keyId).toMatch(/^ed25519:[0-9a-f]{16}$/);

    const cp = fromSeed.sign(HEAD, TIME);
    expect(verifyCheckpointSignature(cp, parsePublicKey(rawPublic))).toBe(true);
    expect(
      verifyCheckpointSignature(
        cp,
        parsePublicKey(publicKey.export({ format: "pem", type: "spki" }).toString()),
      ),
    ).toBe(true);
  });

  it("names the config key when a key is unusable", () => {
    expect(() => parseSigningKey("short")).toThrow(AuditConfigError);
    expect(() => parseSigningKey("short")).toThrow(/^AUDIT_SIGNING_KEY: /);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    expect(() => parseSigningKey(rsa)).toThrow(/Ed25519/);
    expect(() => parsePublicKey(Buffer.alloc(31).toString("base64"))).toThrow(AuditConfigError);
  });
});
