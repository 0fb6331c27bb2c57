// deploy/helm/warden checked with the real tools: `helm lint`, `helm template`, kubeconform against
// the Kubernetes 1.35 JSON schemas (strict: unknown fields are errors), `nats-server -t` on the
// rendered nats.conf and `promtool check config` on the rendered prometheus.yml (and compose's).
// Every service's rendered environment must parse under that service's own config schema.
// helm, kubeconform and the schemas come from `make deploy-tools` (~3 min once); without them this
// file skips and says so.
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig as loadAuditConfig } from "@warden/audit";
import { loadConfig as loadKillSwitchConfig } from "@warden/kill-switch";
import { loadConfig as loadPolicyConfig } from "@warden/policy";
import { runPromtool, serverBinary } from "@warden/testing";
import type { ServerName } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const ROOT = resolve(import.meta.dirname, "../..");
const CHART = join(ROOT, "deploy/helm/warden");
const KUBE_VERSION = "1.35.0";

function tool(name: ServerName): string | undefined {
  try {
    return serverBinary(name);
  } catch {
    return undefined;
  }
}

const helm = tool("helm");
const kubeconform = tool("kubeconform");
const schemas = tool("k8s-schemas");
// Debian's promtool (make servers) lacks Kubernetes service discovery; the Go-module build has it.
const promtoolFull = tool("promtool-full");
if (promtoolFull === undefined) {
  console.warn(
    "deploy-helm.test.ts: the chart's prometheus.yml check skipped — promtool-full not built (`scripts/build-servers.sh promtool-full`, ~18 min once; Debian's promtool has no kubernetes_sd_configs)",
  );
}
const missing = [
  ["helm", helm],
  ["kubeconform", kubeconform],
  ["k8s-schemas", schemas],
]
  .filter(([, path]) => path === undefined)
  .map(([name]) => name);
if (missing.length > 0) {
  console.warn(
    `deploy-helm.test.ts skipped: ${missing.join(", ")} not built — run \`make deploy-tools\` (helm, kubeconform, Kubernetes schemas; ~3 min once)`,
  );
}

type Result = { code: number; stdout: string; stderr: string };

function run(binary: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((done) => {
    execFile(
      binary,
      args,
      { maxBuffer: 64 * 1024 * 1024, env: env ?? process.env },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        done({ code, stdout, stderr });
      },
    );
  });
}

type K8sObject = {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};
type EnvVar = { name: string; value?: string; valueFrom?: unknown };
type Container = {
  name: string;
  command?: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  resources?: { requests?: Record<string, string> };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = { containers: Container[]; volumes?: { name: string; secret?: { secretName: string } }[] };

function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function byKindName(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`${kind}/${name} not rendered`);
  return found;
}

function podSpec(object: K8sObject): PodSpec {
  return (object.spec as { template: { spec: PodSpec } }).template.spec;
}

const SERVICES = ["policy", "audit", "kill-switch"] as const;
const ALL_ON = ["--set", "services.approval.enabled=true", "--set", "services.rollback-monitor.enabled=true"];

describe.skipIf(missing.length > 0)("deploy/helm/warden", () => {
  let dir: string;
  let rendered: string;
  let objects: K8sObject[];

  async function template(extra: readonly string[] = []): Promise<string> {
    const result = await run(helm ?? "", [
      "template",
      "warden",
      CHART,
      "--namespace",
      "warden",
      "--kube-version",
      KUBE_VERSION,
      ...extra,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    return result.stdout;
  }

  async function kubeconformOn(file: string): Promise<Result> {
    return run(kubeconform ?? "", [
      "-strict",
      "-summary",
      "-output",
      "json",
      "-schema-location",
      `${schemas ?? ""}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      file,
    ]);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "warden-helm-"));
    rendered = await template();
    objects = parseObjects(rendered);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("passes helm lint --strict", async () => {
    const result = await run(helm ?? "", [
      "lint",
      CHART,
      "--strict",
      "--kube-version",
      KUBE_VERSION,
      ...ALL_ON,
    ]);
    expect(result.stdout).toContain("0 chart(s) failed");
    expect(result.code).toBe(0);
  });

  it("renders only objects valid against the Kubernetes 1.35 schemas (kubeconform -strict)", async () => {
    for (const [name, extra] of [
      ["default", []],
      ["all-services", ALL_ON],
    ] as const) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, name === "default" ? rendered : await template(extra));
      const result = await kubeconformOn(file);
      const summary = (JSON.parse(result.stdout) as { summary: Record<string, number> }).summary;
      expect(summary, `${name}: ${result.stdout}`).toMatchObject({ invalid: 0, errors: 0, skipped: 0 });
      expect(summary["valid"]).toBeGreaterThan(30);
      expect(result.code).toBe(0);
    }
  });

  it("control: kubeconform rejects a rendered object with a wrong type and an unknown field", async () => {
    const broken = rendered
      .replace(/^ {2}replicas: 2$/m, "  replicas: two")
      .replace("terminationGracePeriodSeconds: 45", "terminationGracePeriod: 45");
    const file = join(dir, "broken.yaml");
    writeFileSync(file, broken);
    const result = await kubeconformOn(file);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain("got string, want null or integer");
    expect(result.stdout).toContain("additional properties 'terminationGracePeriod' not allowed");
  });

  it("runs every Warden service with ≥ 2 replicas, /readyz and /healthz on the ops port, requests and its own NATS credentials", () => {
    for (const name of SERVICES) {
      const deployment = byKindName(objects, "Deployment", `warden-${name}`);
      expect((deployment.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
      const spec = podSpec(deployment);
      const [container] = spec.containers;
      if (container === undefined) throw new Error(`${name}: no container`);
      expect(container.command).toEqual(["node", `services/${name}/src/main.ts`]);
      expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "ops" });
      expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "ops" });
      const opsPort = container.ports?.find((p) => p.name === "ops")?.containerPort;
      const env = new Map((container.env ?? []).map((e) => [e.name, e]));
      expect(env.get("OPS_PORT")?.value).toBe(String(opsPort));
      expect(env.get("NATS_STREAM_REPLICAS")?.value).toBe("3");
      expect(env.get("JWKS_URL")?.value).toMatch(/^https:\/\//);
      expect(container.resources?.requests).toHaveProperty("cpu");
      expect(container.resources?.requests).toHaveProperty("memory");
      expect(spec.volumes?.find((v) => v.name === "nats-creds")?.secret?.secretName).toBe(
        `warden-nats-creds-${name}`,
      );
      byKindName(objects, "PodDisruptionBudget", `warden-${name}`);
    }
  });

  it("gives each service an environment its own config schema accepts", () => {
    const keyFile = join(dir, "signing-key.pem");
    writeFileSync(
      keyFile,
      generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    );
    const bundle = join(ROOT, "governance");
    const envOf = (name: string): Record<string, string> => {
      const [container] = podSpec(byKindName(objects, "Deployment", `warden-${name}`)).containers;
      const env: Record<string, string> = {};
      for (const e of container?.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
      // Secrets and mounted paths, stood in for.
      if (name === "audit") {
        expect(container?.env?.find((e) => e.name === "MONGO_URL")?.valueFrom).toBeDefined();
        env["MONGO_URL"] =
          "mongodb://warden-audit:pw@warden-mongodb-0:27017,warden-mongodb-1:27017,warden-mongodb-2:27017/?replicaSet=rs0";
        env["AUDIT_SIGNING_KEY_FILE"] = keyFile;
      }
      if (name === "policy") env["POLICY_BUNDLE_DIR"] = bundle;
      return env;
    };
    expect(loadPolicyConfig(envOf("policy"))).toMatchObject({ GRPC_PORT: 50051, NATS_STREAM_REPLICAS: 3 });
    expect(loadAuditConfig(envOf("audit"))).toMatchObject({
      GRPC_PORT: 50055,
      MONGO_CREATE_INDEXES: false,
      NATS_STREAM_REPLICAS: 3,
    });
    expect(loadKillSwitchConfig(envOf("kill-switch"))).toMatchObject({ GRPC_PORT: 50053, OPS_PORT: 9466 });
  });

  it("serves gRPC TLS from each service's mounted secret by default; mutual adds the client CA; mesh says plaintext explicitly; another mode fails", async () => {
    const envOf = (from: K8sObject[], name: string): Map<string, string | undefined> => {
      const [container] = podSpec(byKindName(from, "Deployment", `warden-${name}`)).containers;
      return new Map((container?.env ?? []).map((e) => [e.name, e.value]));
    };
    for (const name of SERVICES) {
      const env = envOf(objects, name);
      expect(env.get("GRPC_TLS_CERT_FILE"), name).toBe("/etc/warden/tls/tls.crt");
      expect(env.get("GRPC_TLS_KEY_FILE"), name).toBe("/etc/warden/tls/tls.key");
      expect(env.get("GRPC_TLS_RELOAD_INTERVAL"), name).toBe("60s");
      expect(env.has("GRPC_TLS_CLIENT_CA_FILE"), name).toBe(false);
      expect(env.has("GRPC_INSECURE"), name).toBe(false);
      const spec = podSpec(byKindName(objects, "Deployment", `warden-${name}`));
      expect(spec.volumes?.find((v) => v.name === "grpc-tls")?.secret?.secretName).toBe(
        `warden-grpc-tls-${name}`,
      );
      expect(spec.containers[0]?.volumeMounts).toContainEqual(
        expect.objectContaining({ name: "grpc-tls", mountPath: "/etc/warden/tls" }),
      );
    }
    const mutual = parseObjects(await template(["--set", "grpcTls.mutual=true"]));
    for (const name of SERVICES) {
      expect(envOf(mutual, name).get("GRPC_TLS_CLIENT_CA_FILE"), name).toBe("/etc/warden/tls/ca.crt");
    }
    const mesh = parseObjects(await template(["--set", "grpcTls.mode=mesh"]));
    for (const name of SERVICES) {
      expect(envOf(mesh, name).get("GRPC_INSECURE"), name).toBe("true");
      expect(envOf(mesh, name).has("GRPC_TLS_CERT_FILE"), name).toBe(false);
      const spec = podSpec(byKindName(mesh, "Deployment", `warden-${name}`));
      expect(spec.volumes?.some((v) => v.name === "grpc-tls")).toBe(false);
    }
    const bad = await run(helm ?? "", [
      "template",
      "warden",
      CHART,
      "--kube-version",
      KUBE_VERSION,
      "--set",
      "grpcTls.mode=plaintext",
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('grpcTls.mode must be mounted or mesh, not "plaintext"');
  });

  it("renders a 3-node NATS cluster whose nats.conf nats-server accepts (routes to every member, JetStream)", async () => {
    const statefulSet = byKindName(objects, "StatefulSet", "warden-nats");
    expect((statefulSet.spec as { replicas: number }).replicas).toBe(3);
    const conf = byKindName(objects, "ConfigMap", "warden-nats-config").data?.["nats.conf"] ?? "";
    for (const i of [0, 1, 2]) {
      expect(conf).toContain(`nats://warden-nats-${i}.warden-nats-headless.warden.svc:6222`);
    }
    const confDir = join(dir, "nats");
    mkdirSync(join(confDir, "auth"), { recursive: true });
    // The auth include is the identity generator's output (issue #11); a stand-in here.
    writeFileSync(join(confDir, "auth/auth.conf"), "authorization { users: [ { user: a, password: b } ] }\n");
    writeFileSync(
      join(confDir, "nats.conf"),
      conf.replace("/data/jetstream", join(confDir, "js")).replace("/var/run/nats", confDir),
    );
    const result = await run(serverBinary("nats"), ["-t", "-c", join(confDir, "nats.conf")], {
      ...process.env,
      POD_NAME: "warden-nats-0",
    });
    expect(result.stdout + result.stderr).toContain("is valid");
    expect(result.code).toBe(0);
  });

  it.skipIf(promtoolFull === undefined)(
    "renders a prometheus.yml that promtool check config accepts, with the alert rules beside it",
    async () => {
      const config =
        byKindName(objects, "ConfigMap", "warden-prometheus-config").data?.["prometheus.yml"] ?? "";
      const rules =
        byKindName(objects, "ConfigMap", "warden-prometheus-rules").data?.["warden-rules.yaml"] ?? "";
      expect(rules).toBe(readFileSync(join(ROOT, "deploy/prometheus/warden-rules.yaml"), "utf8"));
      const promDir = join(dir, "prometheus");
      mkdirSync(join(promDir, "rules"), { recursive: true });
      writeFileSync(join(promDir, "prometheus.yml"), config);
      writeFileSync(join(promDir, "rules/warden-rules.yaml"), rules);
      const result = await run(promtoolFull ?? "", ["check", "config", join(promDir, "prometheus.yml")]);
      expect(result.stdout + result.stderr).toContain("SUCCESS");
      expect(result.stdout + result.stderr).not.toContain("FAILED");
      expect(result.code).toBe(0);
    },
  );
});

describe("deploy/compose/prometheus.yml", () => {
  it("passes promtool check config with the alert rules at rules/", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warden-compose-prom-"));
    try {
      mkdirSync(join(dir, "rules"));
      writeFileSync(join(dir, "prometheus.yml"), readFileSync(join(ROOT, "deploy/compose/prometheus.yml")));
      writeFileSync(
        join(dir, "rules/warden-rules.yaml"),
        readFileSync(join(ROOT, "deploy/prometheus/warden-rules.yaml")),
      );
      expect(existsSync(join(dir, "rules/warden-rules.yaml"))).toBe(true);
      const result = await runPromtool(["check", "config", join(dir, "prometheus.yml")]);
      expect(result.stdout + result.stderr).toContain("SUCCESS");
      expect(result.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
