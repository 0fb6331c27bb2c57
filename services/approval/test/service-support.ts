// Runs the approval service in-process for an integration test file: its own NATS namespace and
// Temporal task queue on the shared servers, a development token issuer, and (until approval-core's
// workflow is merged) the stand-in workflow of test/fixtures.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { DefaultLogger, Runtime } from "@temporalio/worker";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { connectNats, createPublisher, drainNats, events, topology } from "@warden/messaging";
import type { DecisionData, EventPublisher, Topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials, natsCredsFile } from "@warden/testing";
import { loadConfig } from "../src/config.ts";
import type { ApprovalConfig } from "../src/config.ts";
import type { ApprovalServiceOptions, RunningApprovalService } from "../src/start-approval-service.ts";

try {
  Runtime.install({ logger: new DefaultLogger("WARN") });
} catch {
  // already installed by another test file in this worker
}

export const STAND_IN_WORKFLOWS = fileURLToPath(new URL("./fixtures/stand-in-workflows.ts", import.meta.url));

/** vi.waitFor / expect.poll options against real servers. */
export const WAIT = { timeout: 15_000, interval: 50 } as const;

export function approvalTestConfig(
  t: Topology,
  keyFile: string,
  taskQueue: string,
  overrides: Record<string, string> = {},
): ApprovalConfig {
  return loadConfig({
    NATS_URL: testServers().natsUrl,
    WARDEN_NAMESPACE: t.namespace,
    TEMPORAL_ADDRESS: testServers().temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    GRPC_HOST: "127.0.0.1",
    GRPC_INSECURE: "true",
    GRPC_PORT: "0",
    OPS_HOST: "127.0.0.1",
    OPS_PORT: "0",
    JWT_ISSUER: "warden-test",
    JWT_DEV_KEY_FILE: keyFile,
    LOG_LEVEL: "silent",
    APPROVAL_CONCURRENCY: "1",
    APPROVAL_START_RETRY_DELAY: "200ms",
    ...overrides,
  });
}

export interface ApprovalUnderTest {
  readonly running: RunningApprovalService;
  readonly nc: NatsConnection;
  readonly issuer: DevIssuer;
  readonly t: Topology;
  readonly taskQueue: string;
  readonly dir: string;
  readonly keyFile: string;
  /** Publishes as the policy service does (warden.decision.approval_required.<agent>). */
  readonly policy: EventPublisher;
  stop(): Promise<void>;
}

/** The real approval workflow (src/workflows) unless `standIn`. */
export async function startApprovalForTest(
  overrides: Record<string, string> = {},
  options: { standIn?: boolean; telemetry?: ApprovalServiceOptions["telemetry"] } = {},
): Promise<ApprovalUnderTest> {
  const t = topology(uniqueName("apr").toLowerCase());
  const taskQueue = uniqueName("approval");
  const dir = await mkdtemp(join(tmpdir(), "warden-approval-"));
  const keyFile = join(dir, "dev-issuer.pem");
  const issuer = await createDevIssuer({ issuer: "warden-test", audience: "warden", keyFile });
  const { startApprovalService } = await import("../src/start-approval-service.ts");
  const creds = await natsCredsFile("service:approval", { namespace: t.namespace });
  const running = await startApprovalService(
    approvalTestConfig(t, keyFile, taskQueue, {
      ...(creds !== undefined && { NATS_CREDS: creds }),
      ...overrides,
    }),
    {
      ...(options.standIn === true ? { workflowsPath: STAND_IN_WORKFLOWS } : {}),
      ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
    },
  );
  const nc = await connectNats({
    servers: testServers().natsUrl,
    name: "approval-test",
    ...(await natsCredentials("test-admin")),
  });
  return {
    running,
    nc,
    issuer,
    t,
    taskQueue,
    dir,
    keyFile,
    policy: createPublisher(nc, { source: "policy" }),
    async stop() {
      await running.stop();
      const jsm = await jetstreamManager(nc);
      for (const name of [
        t.streams.events,
        t.streams.audit,
        `KV_${t.kv.killswitch}`,
        `KV_${t.kv.approvalLinks}`,
      ]) {
        await jsm.streams.delete(name).catch(() => undefined);
      }
      await drainNats(nc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A decision the policy would publish for an action needing one approval. */
export function approvalDecision(overrides: Partial<DecisionData> = {}): DecisionData {
  const actionId = overrides.actionId ?? `act-${randomUUID()}`;
  const agentId = overrides.agentId ?? "deploy-bot";
  return events.decisionMade.data.parse({
    actionId,
    agentId,
    outcome: "OUTCOME_APPROVAL_REQUIRED",
    matchedRules: [
      { ruleId: "prod.deploy", effect: "EFFECT_APPROVAL_REQUIRED", reason: "production deploy" },
    ],
    approval: {
      workflow: "production_deployment",
      minApprovers: 1,
      eligibleRoles: ["engineering-lead"],
      timeoutSeconds: 3600,
      escalationChain: [{ roles: ["cto"], timeoutSeconds: 3600 }],
      notificationChannels: ["slack:#deploys"],
    },
    bundleDigest: "sha256:bundle",
    evaluatedAt: new Date().toISOString(),
    riskLevel: "RISK_LEVEL_HIGH",
    requestDigest: "sha256:request",
    killswitchEpoch: 0,
    request: {
      actionId,
      agentId,
      action: "deploy",
      environment: "ENVIRONMENT_PRODUCTION",
      requestedBy: { type: "ACTOR_TYPE_HUMAN", id: "alice" },
    },
    ...overrides,
  });
}

export async function publishDecision(
  on: ApprovalUnderTest,
  decision: DecisionData,
  subjectAgent = decision.agentId,
) {
  return on.policy.publish(on.t.subjects.decision("approval_required", subjectAgent), events.decisionMade, {
    actionId: decision.actionId,
    data: decision,
  });
}
