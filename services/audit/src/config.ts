// The audit service's configuration: every key, parsed once at start-up (see README "Configuration").
// Keys are parsed into what the service uses (key objects, field paths), so a bad key fails start-up
// with every problem listed, never later.
import { readFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import {
  bool,
  duration,
  integer,
  grpcKeys,
  hasTokenKeySource,
  identityKeys,
  list,
  mongoUrl,
  namespaceKey,
  natsKeys,
  parseConfig,
  serviceKeys,
  tokenKeySourceIssue,
  z,
} from "@warden/config";
import { DEFAULT_INSERT_CHUNK } from "./adapters/mongo/mongo-audit-store.ts";
import { parsePublicKey, parseSigningKey } from "./domain/checkpoint.ts";
import { parseEncryptedFieldPaths, parseEncryptionKey } from "./domain/field-encryption.ts";

/** Runs a domain parser inside zod, turning its error into an issue on this key (value never echoed). */
function parsed<I, T>(parse: (input: I) => T) {
  return (input: I, ctx: z.RefinementCtx<I>): T => {
    try {
      return parse(input);
    } catch (err) {
      ctx.addIssue({
        code: "custom",
        message: err instanceof Error ? err.message.replace(/^\w+: /, "") : "invalid",
      });
      return z.NEVER;
    }
  };
}

function readKeyFile(path: string): string {
  return readFileSync(path, "utf8");
}

const roles = (example: string) => list(z.string().min(1), `comma-separated role names, e.g. ${example}`);

const schema = z
  .object({
    ...serviceKeys,
    ...natsKeys,
    ...namespaceKey,
    MONGO_URL: mongoUrl(),
    MONGO_DB: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/)
      .default("warden_audit")
      .describe("database name, e.g. warden_audit"),
    MONGO_CREATE_INDEXES: bool(
      "create the collections' indexes at start: true, or false where the role lacks createIndex (production, see deploy/mongodb)",
    ).default(true),
    MONGO_INSERT_CHUNK: integer({ min: 1, max: 100_000 })
      .default(DEFAULT_INSERT_CHUNK)
      .describe(
        "records per insert command; at most FerretDB's --test-batch-size (100), larger only on MongoDB, e.g. 1000",
      ),
    AUDIT_SIGNING_KEY: z
      .string()
      .transform(parsed((t) => parseSigningKey(t)))
      .optional()
      .describe("Ed25519 private key for checkpoints: PKCS#8 PEM, or base64 of the 32-byte seed"),
    AUDIT_SIGNING_KEY_FILE: z
      .string()
      .transform(parsed((p) => parseSigningKey(readKeyFile(p), "AUDIT_SIGNING_KEY_FILE")))
      .optional()
      .describe("path of a PEM file holding the Ed25519 private key (instead of AUDIT_SIGNING_KEY)"),
    AUDIT_VERIFY_KEYS: list(z.string().transform(parsed((t) => parsePublicKey(t))))
      .default([])
      .describe(
        "extra Ed25519 public keys (SPKI PEM or base64 raw, comma-separated) for checkpoints of rotated keys",
      ),
    AUDIT_ENCRYPTION_KEY: z
      .string()
      .transform(parsed((t) => parseEncryptionKey(t)))
      .optional()
      .describe("AES-256 key for AUDIT_ENCRYPTED_FIELDS: base64 of 32 bytes, optionally '<keyId>:' prefixed"),
    AUDIT_ENCRYPTED_FIELDS: list()
      .transform(parsed((paths: string[]) => parseEncryptedFieldPaths(paths)))
      .default([])
      .describe("record paths stored encrypted, e.g. data.message.body,why.reason"),
    CHECKPOINT_EVERY: integer({ min: 1, max: 10_000_000 }).default(1000),
    CHECKPOINT_INTERVAL: duration().default(30_000),
    AUDIT_BATCH_SIZE: integer({ min: 1, max: 5000 }).default(500),
    AUDIT_DEDUPE_WINDOW: integer({ min: 0, max: 10_000_000 }).default(50_000),
    AUDIT_MAX_ACK_PENDING: integer({ min: 1, max: 100_000 }).default(2000),
    AUDIT_ACK_WAIT: duration().default(10_000),
    AUDIT_PIN_TIMEOUT: duration("how long a silent pinned replica keeps the pin, e.g. 10s").default(10_000),
    AUDIT_RETRY_DELAY: duration(
      "first redelivery delay after a store failure (doubles, up to 30s), e.g. 1s",
    ).default(1_000),
    AUDIT_ROLES_ALL: roles("auditor,security,compliance").default([
      "auditor",
      "security",
      "security-lead",
      "compliance",
    ]),
    AUDIT_ROLES_TEAM: roles("team-lead").default(["team-lead", "engineering-lead"]),
    AUDIT_ROLES_OWN: roles("engineer").default(["engineer"]),
    AUDIT_TEAM_CLAIM: z
      .string()
      .min(1)
      .default("team")
      .describe("JWT claim holding the caller's team, e.g. team"),
    ...grpcKeys(50055),
    ...identityKeys,
  })
  .refine(hasTokenKeySource, tokenKeySourceIssue)
  .refine((c) => c.AUDIT_SIGNING_KEY !== undefined || c.AUDIT_SIGNING_KEY_FILE !== undefined, {
    message: "required (or AUDIT_SIGNING_KEY_FILE) — the Ed25519 key that signs checkpoints",
    path: ["AUDIT_SIGNING_KEY"],
  })
  .refine((c) => c.AUDIT_ENCRYPTED_FIELDS.length === 0 || c.AUDIT_ENCRYPTION_KEY !== undefined, {
    message: "required when AUDIT_ENCRYPTED_FIELDS names fields",
    path: ["AUDIT_ENCRYPTION_KEY"],
  });

type ParsedConfig = z.output<typeof schema>;

export type AuditConfig = Omit<ParsedConfig, "AUDIT_SIGNING_KEY" | "AUDIT_SIGNING_KEY_FILE"> & {
  /** From AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE. */
  signingKey: KeyObject;
};

/** Reads the environment; throws ConfigError listing every missing or invalid key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AuditConfig {
  const { AUDIT_SIGNING_KEY, AUDIT_SIGNING_KEY_FILE, ...rest } = parseConfig(schema, env);
  const signingKey = AUDIT_SIGNING_KEY ?? AUDIT_SIGNING_KEY_FILE;
  // The refine above guarantees one of them; this keeps the type honest without an assertion.
  if (signingKey === undefined) throw new Error("AUDIT_SIGNING_KEY: required");
  return { ...rest, signingKey };
}
