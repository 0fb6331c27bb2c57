// The audit service as a child process (`node services/audit/src/main.ts`), for fault tests and
// benchmarks: start it with an environment, wait until it logs "audit service ready", kill it by
// its pid. Output goes to a log file (appended across restarts) for post-mortems.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { createWriteStream, mkdtempSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { sampleEnvelope, type SampleEnvelope } from "@warden/audit/sample-events";
import {
  AUDIT_EVENTS_COLLECTION,
  createMongoAuditStore,
  parsePublicKey,
  verifyStoredChain,
  type AuditEventDocument,
  type Checkpoint,
  type VerifyChainResult,
} from "@warden/audit";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Topology } from "@warden/messaging";
import type { Db } from "mongodb";
import { freePort } from "@warden/testing";

export const AUDIT_MAIN = fileURLToPath(new URL("../../../services/audit/src/main.ts", import.meta.url));

export type AuditKeys = {
  signingKeyPem: string;
  publicKeyPem: string;
  devIssuerKeyFile: string;
  dir: string;
};

export function auditKeys(): AuditKeys {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const dir = mkdtempSync(join(tmpdir(), "warden-audit-fault-"));
  return {
    signingKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    devIssuerKeyFile: join(dir, "dev-issuer.pem"),
    dir,
  };
}

export function auditEnvironment(options: {
  natsUrl: string;
  /** The audit's .creds file (NATS_CREDS) when NATS runs with authentication. */
  natsCreds?: string | undefined;
  mongoUrl: string;
  namespace: string;
  db: string;
  keys: AuditKeys;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    NATS_URL: options.natsUrl,
    ...(options.natsCreds !== undefined && { NATS_CREDS: options.natsCreds }),
    MONGO_URL: options.mongoUrl,
    MONGO_DB: options.db,
    WARDEN_NAMESPACE: options.namespace,
    AUDIT_SIGNING_KEY: options.keys.signingKeyPem,
    JWT_ISSUER: "http://warden-fault-issuer",
    JWT_DEV_KEY_FILE: options.keys.devIssuerKeyFile,
    GRPC_HOST: "127.0.0.1",
    GRPC_INSECURE: "true",
    GRPC_PORT: "0",
    OPS_HOST: "127.0.0.1",
    OPS_PORT: "0",
    LOG_LEVEL: "info",
    ...options.extra,
  };
}

export class AuditProcess {
  readonly child: ChildProcess & { pid: number };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exitedAt: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  opsPort = 0;
  grpcPort = 0;

  private constructor(child: ChildProcess & { pid: number }) {
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.#exitedAt = { code, signal };
        resolve({ code, signal });
      }),
    );
  }

  get alive(): boolean {
    return this.#exitedAt === undefined;
  }

  /** Spawns the service on free ports and waits until /readyz answers 200 (or it exits: throws). */
  static async start(
    env: Record<string, string>,
    log: WriteStream,
    timeoutMs = 60_000,
  ): Promise<AuditProcess> {
    const opsPort = await freePort();
    const grpcPort = await freePort();
    const child = spawn(process.execPath, [AUDIT_MAIN], {
      env: { ...env, OPS_PORT: String(opsPort), GRPC_PORT: String(grpcPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid === undefined) throw new Error("could not spawn the audit service");
    const proc = new AuditProcess(Object.assign(child, { pid: child.pid }));
    proc.opsPort = opsPort;
    proc.grpcPort = grpcPort;
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!proc.alive) {
        const { code, signal } = await proc.exited;
        throw new Error(`audit service exited before it was ready (code ${code}, signal ${signal})`);
      }
      const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return proc;
      if (Date.now() > deadline) {
        await proc.kill("SIGKILL");
        throw new Error(`audit service not ready within ${timeoutMs} ms`);
      }
      await sleep(50);
    }
  }

  /** Sends a signal to this process's pid (only) and waits until it has exited. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    const timeout = sleep(signal === "SIGKILL" ? 10_000 : 20_000).then(() => "timeout" as const);
    if ((await Promise.race([this.exited, timeout])) === "timeout") {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.opsPort}/metrics`)).text();
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, "m").exec(text);
    return Number(match?.[1] ?? Number.NaN);
  }
}

/** The n-th event of a run, with a run-unique id and the current time. */
export function runEvent(runId: string, n: number): SampleEnvelope {
  return { ...sampleEnvelope(n), id: `${runId}-${n}`, time: new Date().toISOString() };
}

export type ChainCheck = {
  /** Records in the collection. */
  count: number;
  /** Published ids with no record. */
  missing: string[];
  /** Records whose event id was never published. */
  unexpected: string[];
  /** seq values not equal to 1..count in order. */
  seqGaps: number;
  verify: VerifyChainResult;
};

/** Exactly-once and chain checks over the stored collection. */
export async function checkChain(
  db: Db,
  publishedIds: ReadonlySet<string>,
  publicKeyPem: string,
  checkpoints?: readonly Checkpoint[],
): Promise<ChainCheck> {
  const events = db.collection<AuditEventDocument>(AUDIT_EVENTS_COLLECTION);
  const docs = await events
    .find({}, { projection: { _id: 1, seq: 1 } })
    .sort({ seq: 1 })
    .toArray();
  const recorded = new Set(docs.map((d) => d._id));
  let seqGaps = 0;
  docs.forEach((d, i) => {
    if (d.seq !== i + 1) seqGaps++;
  });
  const verify = await verifyStoredChain(
    { store: createMongoAuditStore(db), publicKeys: parsePublicKey(publicKeyPem) },
    { checkpoints },
  );
  return {
    count: docs.length,
    missing: [...publishedIds].filter((id) => !recorded.has(id)),
    unexpected: [...recorded].filter((id) => !publishedIds.has(id)),
    seqGaps,
    verify,
  };
}

/**
 * The highest seq the service has published on the audit stream (records are published after
 * they are committed). Cheaper to poll than the collection: no load on the store under test.
 */
export async function publishedHead(nc: NatsConnection, topology: Topology): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const last = await jsm.streams
    .getMessage(topology.streams.audit, { last_by_subj: topology.subjects.auditRecordedAll })
    .catch(() => null);
  return last === null ? 0 : Number(last.header?.get("Warden-Audit-Seq") ?? 0);
}

export function openLog(path: string): WriteStream {
  return createWriteStream(path, { flags: "a" });
}
