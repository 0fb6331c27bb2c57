// The local development environment behind `make up`, `make down` and `make status`.
// Usage: node scripts/dev-env.ts up|down|status
//
// Starts each process in DEV_PROCESSES detached (it outlives this script) on fixed ports, with
// data, logs and pid records under .warden/. `down` signals only a recorded pid whose command line
// still is the recorded binary. Adding a process (e.g. a Warden service) is one more entry.
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createDevIssuer } from "@warden/identity";
import { devNatsAuthority, issueUser, parseIdentity, writeDevCreds } from "@warden/nats-auth";
import { credsAuthenticator } from "@nats-io/transport-node";
import {
  launch,
  mongoAnswers,
  natsAnswers,
  portIsFree,
  serverBinary,
  ServerStartError,
  startMongo,
  startNats,
  startTemporalDev,
  stopPid,
  temporalAnswers,
  temporalUiAnswers,
  type ServerOptions,
} from "@warden/testing/servers";

const root = join(import.meta.dirname, "..");
// WARDEN_STATE_DIR: another state directory (tests of `down` use a temporary one).
const stateDir = process.env.WARDEN_STATE_DIR ?? join(root, ".warden");
const dirs = { data: join(stateDir, "data"), logs: join(stateDir, "logs"), pids: join(stateDir, "pids") };

function port(envVar: string, fallback: number): number {
  const value = process.env[envVar];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`${envVar}=${value} is not a port number`);
  return n;
}

interface ProcessSpec {
  name: string;
  /** Executable path, recorded to recognise the pid later. */
  binary: () => string;
  /** Ports it binds, each named by the env var that overrides it. */
  ports: Record<string, number>;
  /** What to print: label → address. */
  addresses: Record<string, string>;
  start: (options: ServerOptions) => Promise<{ pid: number }>;
  answers: () => Promise<void>;
}

const nats = { port: port("WARDEN_NATS_PORT", 4222), monitor: port("WARDEN_NATS_MONITOR_PORT", 8222) };
const temporal = { port: port("WARDEN_TEMPORAL_PORT", 7233), ui: port("WARDEN_TEMPORAL_UI_PORT", 8233) };
const mongo = { port: port("WARDEN_MONGO_PORT", 27017) };
const policy = { grpc: port("WARDEN_POLICY_GRPC_PORT", 50051), ops: port("WARDEN_POLICY_OPS_PORT", 9464) };
const approval = {
  grpc: port("WARDEN_APPROVAL_GRPC_PORT", 50054),
  ops: port("WARDEN_APPROVAL_OPS_PORT", 9467),
};
const audit = { grpc: port("WARDEN_AUDIT_GRPC_PORT", 50055), ops: port("WARDEN_AUDIT_OPS_PORT", 9468) };
const rollbackMonitor = {
  grpc: port("WARDEN_ROLLBACK_MONITOR_GRPC_PORT", 50056),
  ops: port("WARDEN_ROLLBACK_MONITOR_OPS_PORT", 9469),
};
const killSwitch = {
  grpc: port("WARDEN_KILLSWITCH_GRPC_PORT", 50053),
  ops: port("WARDEN_KILLSWITCH_OPS_PORT", 9466),
};
const consoleHttp = { port: port("WARDEN_CONSOLE_PORT", 8480) };

/** Development only: the audit's checkpoint signing key, made on first use (production: a secret store). */
function devAuditSigningKey(): string {
  const file = join(stateDir, "audit-signing.pem");
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  }
  return file;
}

/** The local development token issuer: services trust its key; `make demo` mints tokens with it. */
export const devIssuer = {
  issuer: "warden-dev",
  audience: "warden",
  keyFile: join(stateDir, "dev-issuer.pem"),
};

async function httpAnswers(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
}

/** A Warden service run from source with the project's node, ready when its /healthz answers 200. */
/** NATS runs with authentication on; the dev authority's seeds and each service's creds live in .warden/. */
async function devAdminAuthenticator() {
  const { creds } = await issueUser(devNatsAuthority(stateDir), parseIdentity("admin:dev-env"));
  return credsAuthenticator(new TextEncoder().encode(creds));
}

function service(
  name: string,
  ports: Record<string, number>,
  opsPort: number,
  addresses: Record<string, string>,
  env: () => Record<string, string>,
): ProcessSpec {
  const healthz = `http://127.0.0.1:${opsPort}/healthz`;
  return {
    name,
    binary: () => process.execPath,
    ports,
    addresses: { ...addresses, health: healthz },
    start: async (options) => {
      await createDevIssuer(devIssuer); // creates the key file on first use
      const creds = await writeDevCreds(stateDir, parseIdentity(`service:${name}`));
      return launch({
        name,
        binary: process.execPath,
        args: [join(root, "services", name, "src", "main.ts")],
        env: {
          OPS_HOST: "127.0.0.1",
          OPS_PORT: String(opsPort),
          LOG_LEVEL: "info",
          NATS_CREDS: creds.file,
          ...env(),
        },
        logFile: options.logFile ?? join(dirs.logs, `${name}.log`),
        detached: true,
        ready: () => httpAnswers(healthz),
        readyTimeoutMs: 60_000,
      });
    },
    answers: () => httpAnswers(healthz),
  };
}

/** The ops console (apps/console): only the services' public APIs, with the dev sign-in. */
function consoleSpec(): ProcessSpec {
  const url = `http://127.0.0.1:${consoleHttp.port}`;
  const metrics = (p: number) => `http://127.0.0.1:${p}/metrics`;
  return {
    name: "console",
    binary: () => process.execPath,
    ports: { WARDEN_CONSOLE_PORT: consoleHttp.port },
    addresses: { console: url, "console health": `${url}/healthz` },
    start: async (options) => {
      await createDevIssuer(devIssuer); // creates the key file on first use
      return launch({
        name: "console",
        binary: process.execPath,
        args: [join(root, "apps", "console", "src", "main.ts")],
        env: {
          LOG_LEVEL: "info",
          CONSOLE_HOST: "127.0.0.1",
          CONSOLE_PORT: String(consoleHttp.port),
          CONSOLE_PUBLIC_URL: url,
          CONSOLE_AUTH: "dev",
          WARDEN_POLICY_ADDR: `127.0.0.1:${policy.grpc}`,
          WARDEN_KILLSWITCH_ADDR: `127.0.0.1:${killSwitch.grpc}`,
          WARDEN_APPROVAL_ADDR: `127.0.0.1:${approval.grpc}`,
          WARDEN_AUDIT_ADDR: `127.0.0.1:${audit.grpc}`,
          WARDEN_POLICY_METRICS_URL: metrics(policy.ops),
          WARDEN_KILLSWITCH_METRICS_URL: metrics(killSwitch.ops),
          WARDEN_APPROVAL_METRICS_URL: metrics(approval.ops),
          WARDEN_AUDIT_METRICS_URL: metrics(audit.ops),
          JWT_ISSUER: devIssuer.issuer,
          JWT_AUDIENCE: devIssuer.audience,
          JWT_DEV_KEY_FILE: devIssuer.keyFile,
        },
        logFile: options.logFile ?? join(dirs.logs, "console.log"),
        detached: true,
        ready: () => httpAnswers(`${url}/healthz`),
        readyTimeoutMs: 60_000,
      });
    },
    answers: () => httpAnswers(`${url}/healthz`),
  };
}

const DEV_PROCESSES: ProcessSpec[] = [
  {
    name: "nats",
    binary: () => serverBinary("nats"),
    ports: { WARDEN_NATS_PORT: nats.port, WARDEN_NATS_MONITOR_PORT: nats.monitor },
    addresses: { NATS_URL: `nats://127.0.0.1:${nats.port}`, monitoring: `http://127.0.0.1:${nats.monitor}` },
    start: (options) =>
      startNats({ ...options, port: nats.port, monitorPort: nats.monitor, auth: devNatsAuthority(stateDir) }),
    answers: async () => natsAnswers(`nats://127.0.0.1:${nats.port}`, await devAdminAuthenticator()),
  },
  {
    name: "temporal",
    binary: () => serverBinary("temporal"),
    ports: { WARDEN_TEMPORAL_PORT: temporal.port, WARDEN_TEMPORAL_UI_PORT: temporal.ui },
    addresses: {
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`,
      "Temporal UI": `http://127.0.0.1:${temporal.ui}`,
    },
    start: (options) => startTemporalDev({ ...options, port: temporal.port, uiPort: temporal.ui }),
    answers: async () => {
      await temporalAnswers(`127.0.0.1:${temporal.port}`);
      await temporalUiAnswers(`http://127.0.0.1:${temporal.ui}`);
    },
  },
  {
    name: "ferretdb",
    binary: () => serverBinary("ferretdb"),
    ports: { WARDEN_MONGO_PORT: mongo.port },
    addresses: { MONGO_URL: `mongodb://127.0.0.1:${mongo.port}/` },
    start: (options) => startMongo({ ...options, port: mongo.port }),
    answers: () => mongoAnswers(`mongodb://127.0.0.1:${mongo.port}/`),
  },
  service(
    "policy",
    { WARDEN_POLICY_GRPC_PORT: policy.grpc, WARDEN_POLICY_OPS_PORT: policy.ops },
    policy.ops,
    { "policy gRPC": `127.0.0.1:${policy.grpc}` },
    () => ({
      NATS_URL: `nats://127.0.0.1:${nats.port}`,
      POLICY_BUNDLE_DIR: join(root, "governance"),
      GRPC_HOST: "127.0.0.1",
      GRPC_INSECURE: "true",
      GRPC_PORT: String(policy.grpc),
      JWT_ISSUER: devIssuer.issuer,
      JWT_AUDIENCE: devIssuer.audience,
      JWT_DEV_KEY_FILE: devIssuer.keyFile,
    }),
  ),
  service(
    "kill-switch",
    { WARDEN_KILLSWITCH_GRPC_PORT: killSwitch.grpc, WARDEN_KILLSWITCH_OPS_PORT: killSwitch.ops },
    killSwitch.ops,
    {
      "kill-switch gRPC": `127.0.0.1:${killSwitch.grpc}`,
      "emergency stop": `POST http://127.0.0.1:${killSwitch.ops}/api/emergency-stop`,
    },
    () => ({
      NATS_URL: `nats://127.0.0.1:${nats.port}`,
      GRPC_HOST: "127.0.0.1",
      GRPC_INSECURE: "true",
      GRPC_PORT: String(killSwitch.grpc),
      JWT_ISSUER: devIssuer.issuer,
      JWT_AUDIENCE: devIssuer.audience,
      JWT_DEV_KEY_FILE: devIssuer.keyFile,
    }),
  ),
  service(
    "approval",
    { WARDEN_APPROVAL_GRPC_PORT: approval.grpc, WARDEN_APPROVAL_OPS_PORT: approval.ops },
    approval.ops,
    { "approval gRPC": `127.0.0.1:${approval.grpc}` },
    () => ({
      NATS_URL: `nats://127.0.0.1:${nats.port}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`,
      TEMPORAL_NAMESPACE: "default",
      TEMPORAL_TASK_QUEUE: "warden-approval",
      GRPC_HOST: "127.0.0.1",
      GRPC_INSECURE: "true",
      GRPC_PORT: String(approval.grpc),
      // Signed chat links on the ops port (dev key: not a secret; production sets its own). A chat
      // webhook only when the developer gives one (WARDEN_APPROVAL_SLACK_WEBHOOK_URL).
      APPROVAL_LINK_BASE_URL: `http://127.0.0.1:${approval.ops}`,
      APPROVAL_LINK_SIGNING_KEY: "warden-dev-approval-link-key-not-a-secret",
      APPROVAL_LINK_APPROVERS: JSON.stringify({ "dev-lead": ["engineering-lead"], "dev-cto": ["cto"] }),
      ...(process.env["WARDEN_APPROVAL_SLACK_WEBHOOK_URL"]
        ? { APPROVAL_SLACK_WEBHOOK_URL: process.env["WARDEN_APPROVAL_SLACK_WEBHOOK_URL"] }
        : {}),
      JWT_ISSUER: devIssuer.issuer,
      JWT_AUDIENCE: devIssuer.audience,
      JWT_DEV_KEY_FILE: devIssuer.keyFile,
    }),
  ),
  service(
    "rollback-monitor",
    {
      WARDEN_ROLLBACK_MONITOR_GRPC_PORT: rollbackMonitor.grpc,
      WARDEN_ROLLBACK_MONITOR_OPS_PORT: rollbackMonitor.ops,
    },
    rollbackMonitor.ops,
    { "rollback-monitor gRPC": `127.0.0.1:${rollbackMonitor.grpc}` },
    () => ({
      NATS_URL: `nats://127.0.0.1:${nats.port}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`,
      ROLLBACK_BUNDLE_DIR: join(root, "governance"),
      GRPC_HOST: "127.0.0.1",
      GRPC_INSECURE: "true",
      GRPC_PORT: String(rollbackMonitor.grpc),
      JWT_ISSUER: devIssuer.issuer,
      JWT_AUDIENCE: devIssuer.audience,
      JWT_DEV_KEY_FILE: devIssuer.keyFile,
    }),
  ),
  service(
    "audit",
    { WARDEN_AUDIT_GRPC_PORT: audit.grpc, WARDEN_AUDIT_OPS_PORT: audit.ops },
    audit.ops,
    { "audit gRPC": `127.0.0.1:${audit.grpc}` },
    () => ({
      NATS_URL: `nats://127.0.0.1:${nats.port}`,
      MONGO_URL: `mongodb://127.0.0.1:${mongo.port}/`,
      MONGO_DB: "warden_audit",
      AUDIT_SIGNING_KEY_FILE: devAuditSigningKey(),
      GRPC_HOST: "127.0.0.1",
      GRPC_INSECURE: "true",
      GRPC_PORT: String(audit.grpc),
      JWT_ISSUER: devIssuer.issuer,
      JWT_AUDIENCE: devIssuer.audience,
      JWT_DEV_KEY_FILE: devIssuer.keyFile,
    }),
  ),
  consoleSpec(),
];

interface PidRecord {
  pid: number;
  binary: string;
}

const recordFile = (spec: ProcessSpec): string => join(dirs.pids, `${spec.name}.json`);
const logFile = (spec: ProcessSpec): string => join(dirs.logs, `${spec.name}.log`);

function readRecord(spec: ProcessSpec): PidRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordFile(spec), "utf8")) as PidRecord;
  } catch {
    return undefined;
  }
}

/** The recorded pid, if it is still the process we started (its argv[0] is the recorded binary). */
function runningPid(spec: ProcessSpec): number | undefined {
  const record = readRecord(spec);
  if (record === undefined) return undefined;
  try {
    const argv0 = readFileSync(`/proc/${record.pid}/cmdline`, "utf8").split("\0")[0];
    return argv0 === record.binary ? record.pid : undefined;
  } catch {
    return undefined;
  }
}

function printAddresses(spec: ProcessSpec): void {
  for (const [label, address] of Object.entries(spec.addresses))
    console.log(`  ${label.padEnd(17)} ${address}`);
}

async function up(): Promise<number> {
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const toStart = DEV_PROCESSES.filter((spec) => runningPid(spec) === undefined);
  const taken: string[] = [];
  for (const spec of toStart) {
    for (const [envVar, p] of Object.entries(spec.ports)) {
      if (!(await portIsFree(p)))
        taken.push(`${spec.name}: port ${p} is already in use (set ${envVar} to use another)`);
    }
  }
  if (taken.length > 0) {
    console.error(`nothing started:\n  ${taken.join("\n  ")}`);
    return 1;
  }
  for (const spec of DEV_PROCESSES) {
    const running = runningPid(spec);
    if (running !== undefined) {
      console.log(`${spec.name}: already running (pid ${running})`);
    } else {
      try {
        const server = await spec.start({
          dataDir: join(dirs.data, spec.name),
          logFile: logFile(spec),
          detached: true,
        });
        writeFileSync(
          recordFile(spec),
          JSON.stringify({ pid: server.pid, binary: spec.binary() } satisfies PidRecord),
        );
        console.log(`${spec.name}: started (pid ${server.pid}, log ${logFile(spec)})`);
      } catch (err) {
        console.error(err instanceof ServerStartError ? err.message : err);
        return 1;
      }
    }
    printAddresses(spec);
  }
  return 0;
}

/** How long `down` waits for an exited process to leave the process table (be reaped by its parent). */
const reapTimeoutMs = 10_000;

/** The pid's parent, or undefined when the pid is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/**
 * Waits until `pid` is gone from the process table, up to `timeoutMs`. stopPid() returns once the
 * process has exited, but a detached server's parent is init, and until init reaps it the exited
 * process is still listed (a zombie, `<defunct>` in ps): `make down` returned while `ps` still
 * showed nats-server and temporal.
 */
async function reaped(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

async function down(): Promise<number> {
  let failed = false;
  for (const spec of [...DEV_PROCESSES].reverse()) {
    const pid = runningPid(spec);
    if (pid === undefined) {
      console.log(`${spec.name}: not running`);
    } else {
      const started = Date.now();
      await stopPid(pid);
      if (await reaped(pid, reapTimeoutMs)) {
        console.log(`${spec.name}: stopped (pid ${pid}, gone after ${Date.now() - started} ms)`);
      } else {
        failed = true;
        console.error(
          `${spec.name}: pid ${pid} exited but is still listed after ${reapTimeoutMs} ms (a zombie: its parent, pid ${parentOf(pid) ?? "?"}, has not reaped it)`,
        );
      }
    }
    rmSync(recordFile(spec), { force: true });
  }
  return failed ? 1 : 0;
}

async function status(): Promise<number> {
  let failing = false;
  for (const spec of DEV_PROCESSES) {
    const pid = runningPid(spec);
    const answers = await spec.answers().then(
      () => true,
      () => false,
    );
    if (pid !== undefined)
      console.log(
        `${spec.name}: pid ${pid}, ${answers ? "answers" : "DOES NOT ANSWER (see " + logFile(spec) + ")"}`,
      );
    else
      console.log(`${spec.name}: not running${answers ? " (but something else answers on its port)" : ""}`);
    printAddresses(spec);
    failing ||= pid !== undefined && !answers;
  }
  return failing ? 1 : 0;
}

const verbs: Record<string, () => Promise<number>> = { up, down, status };
const verb = verbs[process.argv[2] ?? ""];
if (verb === undefined) {
  console.error("usage: node scripts/dev-env.ts up|down|status");
  process.exitCode = 2;
} else {
  process.exitCode = await verb();
}
