import { generateKeyPairSync, randomBytes } from "node:crypto";
import { ConfigError } from "@warden/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

const seed = randomBytes(32).toString("base64");
const base = {
  NATS_URL: "nats://127.0.0.1:4222",
  MONGO_URL: "mongodb://127.0.0.1:27017/",
  JWT_ISSUER: "https://id.example.com/",
  JWKS_URL: "https://id.example.com/jwks",
  AUDIT_SIGNING_KEY: seed,
};

describe("audit config", () => {
  it("parses keys into what the service uses, with defaults", () => {
    const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const config = loadConfig({ ...base, AUDIT_SIGNING_KEY: pem, CHECKPOINT_INTERVAL: "5s" });
    expect(config.signingKey.asymmetricKeyType).toBe("ed25519");
    expect(config).toMatchObject({
      MONGO_DB: "warden_audit",
      CHECKPOINT_EVERY: 1000,
      CHECKPOINT_INTERVAL: 5000,
      AUDIT_BATCH_SIZE: 500,
    });
    expect(config.AUDIT_ROLES_ALL).toContain("auditor");
  });

  it("lists every missing or invalid key at once, without echoing secrets", () => {
    let error: unknown;
    try {
      loadConfig({
        NATS_URL: "http://x",
        AUDIT_SIGNING_KEY: "not-a-key",
        AUDIT_ENCRYPTED_FIELDS: "seq",
        CHECKPOINT_EVERY: "0",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).issues.map((i) => i.key).sort();
    expect(keys).toEqual(
      [
        "AUDIT_ENCRYPTED_FIELDS",
        "AUDIT_SIGNING_KEY",
        "CHECKPOINT_EVERY",
        "JWT_ISSUER",
        "MONGO_URL",
        "NATS_URL",
      ].sort(),
    );
    expect((error as Error).message).not.toContain("not-a-key");
  });

  it("needs an encryption key when fields are to be encrypted", () => {
    expect(() => loadConfig({ ...base, AUDIT_ENCRYPTED_FIELDS: "data.message.body" })).toThrow(
      /AUDIT_ENCRYPTION_KEY/,
    );
    const key = randomBytes(32).toString("base64");
    const config = loadConfig({
      ...base,
      AUDIT_ENCRYPTED_FIELDS: "data.message.body",
      AUDIT_ENCRYPTION_KEY: `k1:${key}`,
    });
    expect(config.AUDIT_ENCRYPTION_KEY?.keyId).toBe("k1");
  });
});
