// End to end, each service its own process (policy, approval) on the real NATS and Temporal dev
// server, the agent through @warden/sdk: a pipeline asks to deploy a minor version to production →
// approval required (2 approvers, one a team lead) → the human who launched it tries to approve and
// is refused → two people approve through the public gRPC API → the agent's guarded action runs once
// → the approval cannot be used a second time → the execution is reported with the same action id.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { approvalV1 } from "@warden/contracts";
import { createGrpcClient, Status } from "@warden/grpc";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import {
  connectNats,
  decodeEnvelope,
  drainNats,
  events,
  provisionTopology,
  topology,
  topologyStreams,
} from "@warden/messaging";
import type { ActionExecutedData, ApprovalRefusedData, Envelope } from "@warden/messaging";
import { connect } from "@warden/sdk";
import type { WardenAgent } from "@warden/sdk";
import { testServers, uniqueName, natsCredentials, natsCredsFile } from "@warden/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { startServiceProcess } from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";

const governance = fileURLToPath(new URL("../../governance", import.meta.url));
const t = topology(uniqueName("loop").toLowerCase());
const WAIT = { timeout: 30_000, interval: 100 } as const;
let dir: string;
let issuer: DevIssuer;
let nc: NatsConnection;
let agent: WardenAgent;
let approval: ServiceProcess;
const processes: ServiceProcess[] = [];
const clients: { close(): void }[] = [];
const seen: Envelope<unknown>[] = [];

async function credsOf(identity: string): Promise<Record<string, string>> {
  const file = await natsCredsFile(identity, { namespace: t.namespace });
  return file === undefined ? {} : { NATS_CREDS: file };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-loop-e2e-"));
  const keyFile = join(dir, "dev-issuer.pem");
  issuer = await createDevIssuer({ issuer: "warden-e2e", audience: "warden", keyFile });
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "loop-e2e-observer",
    ...(await natsCredentials("test-admin")),
  });
  await provisionTopology(nc, t);
  nc.subscribe(t.subjects.allEvents, {
    callback: (_err, msg) => {
      seen.push(decodeEnvelope(msg.data));
    },
  });
  const common = {
    NATS_URL: testServers().natsUrl,
    WARDEN_NAMESPACE: t.namespace,
    JWT_ISSUER: "warden-e2e",
    JWT_DEV_KEY_FILE: keyFile,
  };
  processes.push(
    await startServiceProcess(
      "policy",
      {
        ...common,
        ...(await credsOf("service:policy")),
        POLICY_BUNDLE_DIR: governance,
        POLICY_WATCH: "false",
      },
      join(dir, "policy.log"),
    ),
  );
  approval = await startServiceProcess(
    "approval",
    {
      ...common,
      ...(await credsOf("service:approval")),
      TEMPORAL_ADDRESS: testServers().temporalAddress,
      TEMPORAL_TASK_QUEUE: uniqueName("approval-e2e"),
    },
    join(dir, "approval.log"),
  );
  processes.push(approval);
  const agentCreds = await natsCredsFile("agent:release-pipeline", { namespace: t.namespace });
  agent = await connect({
    agentId: "release-pipeline",
    agentType: "service",
    natsUrl: testServers().natsUrl,
    ...(agentCreds !== undefined && { credentials: { credsFile: agentCreds } }),
    namespace: t.namespace,
    environment: "production",
  });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  for (const c of clients) c.close();
  for (const p of processes.reverse()) await p.stop();
  const jsm = await jetstreamManager(nc);
  for (const name of topologyStreams(t)) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
  await drainNats(nc);
  await rm(dir, { recursive: true, force: true });
});

async function approver(sub: string, roles: string[]) {
  const token = await issuer.issue({ sub, roles, type: "human" });
  const c = createGrpcClient(approvalV1.ApprovalServiceDefinition, `127.0.0.1:${approval.grpcPort}`, {
    token,
  });
  clients.push(c);
  return c.client;
}

it("a production deploy waits for two people, refuses self-approval, runs once, and is reported", async () => {
  const actionId = uniqueName("deploy");
  let runs = 0;
  const guarded = agent.guard(
    {
      actionId,
      action: "change.deploy",
      changeType: "code",
      environment: "production",
      versionChange: "minor",
      target: "service/payments-api",
      requestedBy: { type: "ACTOR_TYPE_HUMAN", id: "carol" },
      reason: "ship 2.4.0",
    },
    () => {
      runs += 1;
      return { deployed: "2.4.0" };
    },
    { timeoutMs: 120_000 },
  );

  const alice = await approver("alice", ["team-lead"]);
  const pending = await vi.waitFor(async () => (await alice.get({ actionId })).approval, WAIT);
  expect(pending?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING);
  expect(runs).toBe(0);

  // carol launched the pipeline: she holds the role, and is still refused, on the record.
  const carol = await approver("carol", ["team-lead"]);
  await expect(
    carol.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE }),
  ).rejects.toMatchObject({ code: Status.PERMISSION_DENIED });
  await vi.waitFor(() => {
    const refusal = seen.find((e) => e.type === events.approvalRefused.type && e.actionId === actionId) as
      Envelope<ApprovalRefusedData> | undefined;
    expect(refusal?.data).toMatchObject({ code: "self_approval", actor: { id: "carol" } });
  }, WAIT);

  await alice.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
  expect(runs).toBe(0); // one approval of two: still waiting
  const bob = await approver("bob", ["on-call-engineer"]);
  await bob.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });

  await expect(guarded).resolves.toEqual({ deployed: "2.4.0" });
  expect(runs).toBe(1);
  const approved = (await alice.get({ actionId })).approval;
  expect(approved?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_APPROVED);
  expect(approved?.consumed).toBe(true);

  // Single use: the agent's own consume of the same approval is refused now.
  const reply = await nc.request(
    t.rpc.approvalConsume("release-pipeline"),
    JSON.stringify({ actionId, requestDigest: approved?.requestDigest ?? "" }),
    { timeout: 5_000 },
  );
  expect(JSON.stringify(reply.json())).toMatch(/already_consumed/);

  const executed = await vi.waitFor(() => {
    const e = seen.find((x) => x.type === events.actionExecuted.type && x.actionId === actionId);
    if (e === undefined) throw new Error("no warden.action.executed yet");
    return e as Envelope<ActionExecutedData>;
  }, WAIT);
  expect(executed.data).toMatchObject({
    outcome: "EXECUTION_OUTCOME_SUCCEEDED",
    approved: true,
    agentId: "release-pipeline",
  });
}, 180_000);
