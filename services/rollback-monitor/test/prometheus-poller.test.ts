// The monitor with ROLLBACK_PROMETHEUS_URL against a small local HTTP server speaking the Prometheus
// query API (our adapter's port, not a product we claim to run), real NATS (the monitor's own
// credentials) and the Temporal dev server: polled samples are published as warden.signal.*, come
// back through the stream, and a regression rolls back; a malformed answer publishes nothing.
import { jetstreamManager } from "@nats-io/jetstream";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Client, Connection, WorkflowNotFoundError } from "@temporalio/client";
import { DefaultLogger, Runtime } from "@temporalio/worker";
import { createDevIssuer } from "@warden/identity";
import { connectNats, createPublisher, drainNats, events, topology } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import { natsCredentials, natsCredsFile, testServers, uniqueName } from "@warden/testing";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import type { RunningRollbackMonitor } from "../src/start-rollback-monitor.ts";
import { startRollbackMonitor } from "../src/start-rollback-monitor.ts";
import { repoGovernance } from "../src/testing/fixtures.ts";

Runtime.install({ logger: new DefaultLogger("WARN") });

let t: Topology;
let nc: NatsConnection;
let jsm: JetStreamManager;
let pipeline: EventPublisher;
let client: Client;
let clientConnection: Connection;
let prometheus: Server;
let running: RunningRollbackMonitor;
const started: string[] = [];
const queries: string[] = [];

/**
 * Prometheus-shaped answers chosen by the deployment id in the query: `reg-` regressed (error rate
 * 5 % vs 1 %), `bad-` a matrix for the error rate (not an instant vector) and a healthy latency.
 */
function answer(query: string, time: number): { status: number; body: unknown } {
  const vector = (v: string) => ({
    status: 200,
    body: { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [time, v] }] } },
  });
  const baseline = query.includes("deployment!=");
  const isLatency = query.includes("http_request_duration_seconds");
  if (query.includes('"bad-') && !isLatency) {
    return {
      status: 200,
      body: {
        status: "success",
        data: { resultType: "matrix", result: [{ metric: {}, values: [[time, "1"]] }] },
      },
    };
  }
  if (isLatency) return vector(baseline ? "0.200" : "0.210");
  if (query.includes('"reg-')) return vector(baseline ? "0.01" : "0.05");
  return vector("0.01");
}

beforeAll(async () => {
  prometheus = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://localhost");
    if (u.pathname !== "/api/v1/query") return void res.writeHead(404).end();
    const query = u.searchParams.get("query") ?? "";
    queries.push(query);
    const { status, body } = answer(query, Number(u.searchParams.get("time")));
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => prometheus.listen(0, "127.0.0.1", resolve));

  t = topology(uniqueName("rbp").toLowerCase());
  const dir = await mkdtemp(join(tmpdir(), "warden-rollback-prom-"));
  const keyFile = join(dir, "dev-issuer.pem");
  await createDevIssuer({ issuer: "warden-test", audience: "warden", keyFile });
  const creds = await natsCredsFile("service:rollback-monitor", { namespace: t.namespace });
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "rollback-prom-test",
    ...(await natsCredentials("test-admin")),
  });
  jsm = await jetstreamManager(nc);
  pipeline = createPublisher(nc, { source: "deploy-bot" });
  clientConnection = await Connection.connect({ address: testServers().temporalAddress });
  client = new Client({ connection: clientConnection });
  running = await startRollbackMonitor(
    loadConfig({
      NATS_URL: testServers().natsUrl,
      NATS_CREDS: creds,
      WARDEN_NAMESPACE: t.namespace,
      TEMPORAL_ADDRESS: testServers().temporalAddress,
      TEMPORAL_TASK_QUEUE: uniqueName("warden-rollback"),
      ROLLBACK_BUNDLE_DIR: repoGovernance,
      ROLLBACK_PROMETHEUS_URL: `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`,
      // Rounds are driven by the test (pollMetrics); the timer never fires during it.
      ROLLBACK_PROMETHEUS_INTERVAL: "1h",
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      GRPC_INSECURE: "true",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: "0",
      JWT_ISSUER: "warden-test",
      JWT_DEV_KEY_FILE: keyFile,
      LOG_LEVEL: "silent",
    }),
  );
}, 150_000);

afterAll(async () => {
  await running?.stop();
  for (const dep of started) {
    await client.workflow
      .getHandle(`rollback-${dep}`)
      .terminate("test over")
      .catch(() => undefined);
  }
  await clientConnection?.close();
  await drainNats(nc);
  await new Promise((resolve) => prometheus.close(resolve));
});

/** A deployment that started 6 min ago, so a 5 min metric window can close on the next samples. */
async function deploymentStarted(dep: string): Promise<void> {
  started.push(dep);
  await pipeline.publish(t.subjects.deploy("started", dep), events.deploymentStarted, {
    data: {
      deploymentId: dep,
      service: "checkout",
      environment: "ENVIRONMENT_PRODUCTION",
      version: "v2.0.0",
      previousVersion: "v1.9.0",
      startedAt: new Date(Date.now() - 6 * 60_000).toISOString(),
      strategy: "canary",
    },
  });
  await poll(`monitor sees ${dep}`, () =>
    Promise.resolve(running.monitor.status(dep) !== undefined || undefined),
  );
}

async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function countOn(subject: string): Promise<number> {
  const info = await jsm.streams.info(t.streams.events, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

async function lastOn(subject: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await jsm.streams.getMessage(t.streams.events, { last_by_subj: subject }))?.json();
  } catch {
    return undefined;
  }
}

/** One round, spaced so each sample has its own evaluation time (ids are per deployment, kind, time). */
async function round() {
  const before = Date.now();
  const result = await running.pollMetrics();
  while (Date.now() <= before) await new Promise((r) => setTimeout(r, 2));
  return result;
}

describe("Prometheus poller in the rollback monitor", () => {
  it("polled error rate 5 % vs 1 % → warden.signal.error_rate samples → error-rate rollback", async () => {
    const dep = uniqueName("reg-");
    await deploymentStarted(dep);
    for (let i = 0; i < 3; i++) {
      const result = await round();
      expect(result?.problems.filter((p) => p.deploymentId === dep)).toEqual([]);
    }
    expect(queries).toContain(
      `sum(rate(http_requests_total{deployment="${dep}",code=~"5.."}[1m])) / sum(rate(http_requests_total{deployment="${dep}"}[1m]))`,
    );
    const sample = await lastOn(t.subjects.signal("error_rate", dep));
    expect(sample).toMatchObject({
      type: "warden.signal.observed",
      source: "rollback-monitor",
      data: {
        deploymentId: dep,
        kind: "SIGNAL_KIND_ERROR_RATE",
        value: 0.05,
        baseline: 0.01,
        source: "prometheus",
      },
    });
    const triggered = await poll("triggered", () => lastOn(t.subjects.rollback("triggered", dep)));
    expect(triggered).toMatchObject({ data: { deploymentId: dep, trigger: "error-rate-increase" } });
    await poll(`workflow rollback-${dep}`, async () => {
      try {
        return (await client.workflow.getHandle(`rollback-${dep}`).describe()).runId;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    });
    // A rolling-back deployment is no longer polled.
    expect(running.monitor.watched().map((w) => w.deploymentId)).not.toContain(dep);
  }, 150_000);

  it("fails closed: a malformed error-rate answer publishes no error-rate sample and is reported (latency is the sentinel)", async () => {
    const dep = uniqueName("bad-");
    await deploymentStarted(dep);
    const result = await round();
    expect(result?.problems.filter((p) => p.deploymentId === dep)).toMatchObject([
      { kind: "error_rate", reason: "invalid" },
    ]);
    // pollMetrics resolves after every publish of the round was stored by JetStream.
    expect(await countOn(t.subjects.signal("latency", dep))).toBe(1);
    expect(await countOn(t.subjects.signal("error_rate", dep))).toBe(0);
  }, 150_000);
});
