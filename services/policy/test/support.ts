// Starts the policy service in-process for an integration test file: its own namespace on the shared
// NATS server, a copy of the example bundle it may edit, a development token issuer.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { connectNats, createPublisher, drainNats, topology } from "@warden/messaging";
import type { ActionRequestData, Topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials, natsCredsFile } from "@warden/testing";
import type { Logger } from "pino";
import { expect } from "vitest";
import { natsDecisionSink } from "../src/adapters/nats/nats-decision-sink.ts";
import { loadConfig } from "../src/config.ts";
import { BUILTIN } from "../src/domain/evaluator.ts";
import type { RunningPolicyService } from "../src/start-policy-service.ts";
import { actionRequestFromWire } from "../src/wire/wire.ts";

export const repoGovernance = join(import.meta.dirname, "..", "..", "..", "governance");

/**
 * The configuration a test's in-process policy service runs with: the shared NATS server, loopback
 * ports chosen by the OS, a development token issuer's key file; `overrides` adds or replaces keys.
 */
export async function policyTestConfig(
  t: Topology,
  bundleDir: string,
  keyFile: string,
  overrides: Record<string, string> = {},
): Promise<ReturnType<typeof loadConfig>> {
  const creds = await natsCredsFile("service:policy", { namespace: t.namespace });
  return loadConfig({
    NATS_URL: testServers().natsUrl,
    ...(creds !== undefined && { NATS_CREDS: creds }),
    WARDEN_NAMESPACE: t.namespace,
    POLICY_BUNDLE_DIR: bundleDir,
    GRPC_HOST: "127.0.0.1",
    GRPC_INSECURE: "true",
    GRPC_PORT: "0",
    OPS_HOST: "127.0.0.1",
    OPS_PORT: "0",
    JWT_ISSUER: "warden-test",
    JWT_DEV_KEY_FILE: keyFile,
    LOG_LEVEL: "silent",
    ...overrides,
  });
}

export interface PolicyUnderTest {
  readonly running: RunningPolicyService;
  readonly nc: NatsConnection;
  readonly issuer: DevIssuer;
  readonly t: Topology;
  /** The bundle directory the service watches (a copy of governance/). */
  readonly bundleDir: string;
  stop(): Promise<void>;
}

/**
 * Call after createTestTelemetry() when spans matter: the service modules load here. `overrides`
 * adds or replaces config keys (see policyTestConfig).
 */
export async function startPolicyForTest(
  overrides: Record<string, string> = {},
  options: { log?: Logger } = {},
): Promise<PolicyUnderTest> {
  const t = topology(uniqueName("pol").toLowerCase());
  const dir = await mkdtemp(join(tmpdir(), "warden-policy-"));
  const bundleDir = join(dir, "bundle");
  await cp(repoGovernance, bundleDir, { recursive: true });
  const keyFile = join(dir, "dev-issuer.pem");
  const issuer = await createDevIssuer({ issuer: "warden-test", audience: "warden", keyFile });
  const config = await policyTestConfig(t, bundleDir, keyFile, { KILLSWITCH_LEASE: "5s", ...overrides });
  const { startPolicyService } = await import("../src/start-policy-service.ts");
  const running = await startPolicyService(config, options);
  const nc = await connectNats({
    servers: testServers().natsUrl,
    name: "policy-test",
    ...(await natsCredentials("test-admin")),
  });
  return {
    running,
    nc,
    issuer,
    t,
    bundleDir,
    async stop() {
      await running.stop();
      const jsm = await jetstreamManager(nc);
      for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`]) {
        await jsm.streams.delete(name).catch(() => undefined);
      }
      await drainNats(nc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** vi.waitFor / expect.poll options against real servers (their default timeout is 1 s). */
export const WAIT = { timeout: 10_000, interval: 20 } as const;

/** `value`, or a throw naming what is still missing, so that `vi.waitFor` tries again. */
export function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`still waiting for ${what}`);
  return value;
}

/** The replica's count of the request's agent in the last minute (through explain, which counts nothing). */
export function requestsInLastMinute(on: RunningPolicyService, body: ActionRequestData): number | undefined {
  const x = on.service.explain(actionRequestFromWire(body), { authenticatedAgentId: body.agentId });
  const gate = x.rules.find((r) => r.ruleId === BUILTIN.rateLimit);
  const m = /(?:made )?([\d,]+) requests in the last minute/.exec(gate?.detail ?? "");
  return m?.[1] === undefined ? undefined : Number(m[1].replace(/,/g, ""));
}

/**
 * A rate-limited agent of the example bundle that the usage tests leave alone: the marker's agent.
 * In a namespace that uses the barrier, no test may decide for this agent (not even a control):
 * the barrier counts the agent's decisions, so a foreign one makes it pass before its marker is read.
 */
export const MARKER_AGENT = "knowledge-base-qa";
const markersPublished = new Map<string, number>();
let markerSeq = 0;

/**
 * A barrier on a replica's decision consumer: publishes a marker decision to the namespace's
 * stream as another replica would (so the replica under test counts it only when its consumer
 * delivers it, never locally), then waits until the replica has counted every marker published in
 * the namespace. The consumer reads in stream order, so every decision published before the marker
 * has then been delivered too: a count asserted afterwards is final, no sleep needed.
 *
 * It holds only while markers are the only decisions about MARKER_AGENT in the namespace; a replica
 * that already counts more of them than markers were published is refused (thrown), since the count
 * would reach `published` without the new marker.
 */
export async function awaitConsumerBarrier(
  nc: NatsConnection,
  t: Topology,
  on: RunningPolicyService,
): Promise<void> {
  markerSeq += 1;
  const body: ActionRequestData = {
    actionId: `marker-${markerSeq}`,
    agentId: MARKER_AGENT,
    action: "knowledge.search",
  };
  const before = requestsInLastMinute(on, body);
  const earlier = markersPublished.get(t.namespace) ?? 0;
  if (before !== undefined && before > earlier)
    throw new Error(
      `awaitConsumerBarrier: the replica counts ${before} decisions about ${MARKER_AGENT} but only ${earlier} markers were published in ${t.namespace}; a test decided for the marker agent, so the barrier cannot tell when its marker is read`,
    );
  const request = actionRequestFromWire(body);
  const origin = { authenticatedAgentId: MARKER_AGENT, wireRequest: body };
  const { decision } = on.service.explain(request, origin);
  const sink = natsDecisionSink(createPublisher(nc, { source: "another-replica" }), t);
  await sink.decided(decision, request, origin, { kind: "clear" });
  const published = earlier + 1;
  markersPublished.set(t.namespace, published);
  await expect.poll(() => requestsInLastMinute(on, body), WAIT).toBe(published);
}
