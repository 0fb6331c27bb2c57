// The rollback monitor in-process against the shared NATS and Temporal dev servers: signals on real
// NATS → regression → rollback workflow started on Temporal (polled) → warden.rollback.* events; a
// restart mid-deployment rebuilds the state from the stream; inconclusive → ActionRequest published.
import { jetstreamManager } from "@nats-io/jetstream";
import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Client, Connection, WorkflowNotFoundError } from "@temporalio/client";
import { DefaultLogger, Runtime } from "@temporalio/worker";
import { createDevIssuer } from "@warden/identity";
import { connectNats, createPublisher, drainNats, events, topology } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials, natsCredsFile } from "@warden/testing";
import { mkdtemp } from "node:fs/promises";
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
let keyFile: string;
let creds: string | undefined;
const taskQueue = uniqueName("warden-rollback");
const started: string[] = [];

function config() {
  return loadConfig({
    NATS_URL: testServers().natsUrl,
    ...(creds !== undefined && { NATS_CREDS: creds }),
    WARDEN_NAMESPACE: t.namespace,
    TEMPORAL_ADDRESS: testServers().temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ROLLBACK_BUNDLE_DIR: repoGovernance,
    GRPC_HOST: "127.0.0.1",
    GRPC_INSECURE: "true",
    GRPC_PORT: "0",
    OPS_HOST: "127.0.0.1",
    OPS_PORT: "0",
    JWT_ISSUER: "warden-test",
    JWT_DEV_KEY_FILE: keyFile,
    LOG_LEVEL: "silent",
  });
}

beforeAll(async () => {
  t = topology(uniqueName("rbm").toLowerCase());
  const dir = await mkdtemp(join(tmpdir(), "warden-rollback-"));
  keyFile = join(dir, "dev-issuer.pem");
  await createDevIssuer({ issuer: "warden-test", audience: "warden", keyFile });
  creds = await natsCredsFile("service:rollback-monitor", { namespace: t.namespace });
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "rollback-test",
    ...(await natsCredentials("test-admin")),
  });
  jsm = await jetstreamManager(nc);
  pipeline = createPublisher(nc, { source: "deploy-bot" });
  clientConnection = await Connection.connect({ address: testServers().temporalAddress });
  client = new Client({ connection: clientConnection });
});

afterAll(async () => {
  for (const dep of started) {
    await client.workflow
      .getHandle(`rollback-${dep}`)
      .terminate("test over")
      .catch(() => undefined);
  }
  await clientConnection?.close();
  await drainNats(nc);
});

async function deploymentStarted(dep: string): Promise<void> {
  started.push(dep);
  await pipeline.publish(t.subjects.deploy("started", dep), events.deploymentStarted, {
    data: {
      deploymentId: dep,
      actionId: `act-${dep}`,
      agentId: "release-pipeline",
      service: "checkout",
      environment: "ENVIRONMENT_PRODUCTION",
      version: "v2.0.0",
      previousVersion: "v1.9.0",
      startedAt: new Date().toISOString(),
      strategy: "blue-green",
    },
  });
}

async function health(dep: string, passed: boolean): Promise<void> {
  await pipeline.publish(t.subjects.signal("health", dep), events.signalObserved, {
    data: {
      deploymentId: dep,
      kind: "SIGNAL_KIND_HEALTH",
      passed,
      source: "probe",
      observedAt: new Date().toISOString(),
    },
  });
}

/** Polls until `check` returns a value (no sleeps: each poll is a round trip to a server). */
async function poll<T>(what: string, check: () => Promise<T | undefined>, attempts = 2_000): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function countOn(subject: string): Promise<number> {
  const info = await jsm.streams.info(t.streams.events, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

async function lastOn(subject: string): Promise<Record<string, unknown> | undefined> {
  try {
    const msg = await jsm.streams.getMessage(t.streams.events, { last_by_subj: subject });
    return msg?.json<Record<string, unknown>>();
  } catch {
    return undefined;
  }
}

async function workflowStarted(dep: string): Promise<string> {
  return poll(`workflow rollback-${dep}`, async () => {
    try {
      const d = await client.workflow.getHandle(`rollback-${dep}`).describe();
      return d.runId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  });
}

describe("rollback monitor on NATS and Temporal", () => {
  let running: RunningRollbackMonitor;

  it("3 failed health checks → rollback workflow on Temporal → triggered and requested events", async () => {
    running = await startRollbackMonitor(config());
    const dep = uniqueName("dep");
    await deploymentStarted(dep);
    for (let i = 0; i < 3; i++) await health(dep, false);
    await workflowStarted(dep);
    const triggered = await poll("triggered", () => lastOn(t.subjects.rollback("triggered", dep)));
    expect(triggered).toMatchObject({
      type: "warden.rollback.triggered",
      data: {
        deploymentId: dep,
        trigger: "health-check-failures",
        workflowId: `rollback-${dep}`,
        strategy: "blue-green-switch-back",
      },
    });
    const requested = await poll("requested", () => lastOn(t.subjects.rollback("requested", dep)));
    expect(requested).toMatchObject({
      data: { deploymentId: dep, strategy: "blue-green-switch-back", toVersion: "v1.9.0" },
    });
  });

  it("control: 2 failed health checks then a pass start nothing (sentinel: a later deployment's rollback)", async () => {
    const quiet = uniqueName("dep");
    await deploymentStarted(quiet);
    await health(quiet, false);
    await health(quiet, false);
    await health(quiet, true);
    // Sentinel: a deployment after it, in the same single-worker consumer, rolls back.
    const sentinel = uniqueName("dep");
    await deploymentStarted(sentinel);
    for (let i = 0; i < 3; i++) await health(sentinel, false);
    await workflowStarted(sentinel);
    await poll("sentinel triggered", () => lastOn(t.subjects.rollback("triggered", sentinel)));
    expect(await countOn(t.subjects.rollback("triggered", quiet))).toBe(0);
  });

  it("low agent confidence → an ActionRequest by the rollback monitor and an escalation event", async () => {
    const dep = uniqueName("dep");
    await deploymentStarted(dep);
    await pipeline.publish(t.subjects.signal("confidence", dep), events.signalObserved, {
      data: {
        deploymentId: dep,
        kind: "SIGNAL_KIND_CONFIDENCE",
        value: 0.2,
        source: "coding-assistant",
        observedAt: new Date().toISOString(),
      },
    });
    const escalated = await poll("escalated", () => lastOn(t.subjects.escalation("rollback", dep)));
    const actionId = (escalated["data"] as { escalationActionId: string }).escalationActionId;
    const request = await poll("action request", async () => {
      const last = await lastOn(t.subjects.actionRequested("rollback-monitor"));
      return last?.["actionId"] === actionId ? last : undefined;
    });
    expect(request).toMatchObject({
      type: "warden.action.requested",
      actor: { type: "service", id: "rollback-monitor" },
      data: { agentId: "rollback-monitor", action: "rollback.decide", target: "checkout" },
    });
    await running.stop();
  });

  it("a restart mid-deployment rebuilds the state from the stream: never hides a regression, never fires twice", async () => {
    const dep = uniqueName("dep");
    const first = await startRollbackMonitor(config());
    await deploymentStarted(dep);
    await health(dep, false);
    await health(dep, false);
    // Sentinel that the monitor has applied both: a status with two observations.
    await poll("two observations", () =>
      Promise.resolve(first.monitor.status(dep)?.state.observations.length === 2 ? true : undefined),
    );
    await first.stop();

    const second = await startRollbackMonitor(config());
    expect(second.monitor.status(dep)?.state.observations).toHaveLength(2);
    await health(dep, false); // the third consecutive failure, across the restart
    await workflowStarted(dep);
    await poll("triggered", () => lastOn(t.subjects.rollback("triggered", dep)));
    await second.stop();

    // A third start replays the trigger too and acts on nothing.
    const third = await startRollbackMonitor(config());
    expect(third.monitor.status(dep)?.phase).toBe("rolling_back");
    await third.stop();
    expect(await countOn(t.subjects.rollback("triggered", dep))).toBe(1);
  });
});
