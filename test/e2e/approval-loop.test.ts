// End to end, each service its own process (policy, approval) on the real NATS and Temporal dev
// server, the agent through @warden/sdk: a pipeline asks to deploy a minor version to production →
// approval required (2 approvers, one a team lead) → the human who launched it tries to approve and
// is refused → two people approve through the public gRPC API → the agent's guarded action runs once
// → the approval cannot be used a second time → the execution is reported with the same action id.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect as netConnect } from "node:net";
import type { Server, Socket } from "node:net";
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
  requestRpc,
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

/** A loopback TCP proxy in front of NATS: `cut()` drops every connection and refuses new ones. */
async function tcpProxy(natsUrl: string) {
  const target = new URL(natsUrl);
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = netConnect({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const minorDeploy = (actionId: string) =>
  ({
    actionId,
    action: "change.deploy",
    changeType: "code",
    environment: "production",
    versionChange: "minor",
    target: "service/payments-api",
    reason: "ship 2.5.0",
  }) as const;

it("a verdict published while the agent was cut off is read back from the real approval service", async () => {
  const proxy = await tcpProxy(testServers().natsUrl);
  const creds = await natsCredsFile("agent:release-pipeline", { namespace: t.namespace });
  const cutOff = await connect({
    agentId: "release-pipeline",
    agentType: "service",
    natsUrl: proxy.url,
    ...(creds !== undefined && { credentials: { credsFile: creds } }),
    namespace: t.namespace,
    environment: "production",
    reconnectTimeWaitMs: 100,
    // the stop-state lease must not lapse into a stop while the test holds the proxy cut
    leaseMs: 30_000,
  });
  try {
    const actionId = uniqueName("cut-off");
    let decided!: () => void;
    const decision = new Promise<void>((resolve) => (decided = resolve));
    const pending = cutOff.request(minorDeploy(actionId), {
      timeoutMs: 120_000,
      onDecision: () => decided(),
    });
    await decision;
    const alice = await approver("alice", ["team-lead"]);
    await vi.waitFor(async () => expect((await alice.get({ actionId })).approval).toBeDefined(), WAIT);
    proxy.cut();
    await alice.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
    const bob = await approver("bob", ["on-call-engineer"]);
    await bob.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
    // the verdict is on the stream now, and the agent did not hear it
    await vi.waitFor(() => {
      expect(seen.some((e) => e.type === events.actionVerdict.type && e.actionId === actionId)).toBe(true);
    }, WAIT);
    proxy.restore();
    const result = await pending;
    expect(result.outcome).toBe("approved");
  } finally {
    await cutOff.close();
    await proxy.close();
  }
}, 180_000);

it("an agent reads back only its own verdicts: another agent's action is not_found, its subject refused", async () => {
  const actionId = uniqueName("owned");
  const asked = agent.request(minorDeploy(actionId), { timeoutMs: 120_000 });
  const alice = await approver("alice", ["team-lead"]);
  await vi.waitFor(async () => expect((await alice.get({ actionId })).approval).toBeDefined(), WAIT);
  const body = new TextEncoder().encode(JSON.stringify({ actionId }));
  const as = async (identity: string) =>
    connectNats({
      servers: testServers().natsUrl,
      name: identity,
      ...(await natsCredentials(identity, { namespace: t.namespace })),
    });
  const owner = await as("agent:release-pipeline");
  const other = await as("agent:customer-support");
  try {
    // control: the owner is answered (pending: no votes yet)
    expect(await requestRpc(owner, t.rpc.approvalVerdict("release-pipeline"), body)).toMatchObject({
      state: "pending",
    });
    // on its own subject, another agent learns nothing: the same answer as for no action at all
    expect(await requestRpc(other, t.rpc.approvalVerdict("customer-support"), body)).toMatchObject({
      state: "not_found",
    });
    // it may not ask on the owner's subject at all (NATS permissions)
    await expect(requestRpc(other, t.rpc.approvalVerdict("release-pipeline"), body)).rejects.toThrow();
    // the payload naming the owner on its own subject is refused as an identity mismatch, on the record
    await expect(
      requestRpc(
        other,
        t.rpc.approvalVerdict("customer-support"),
        new TextEncoder().encode(JSON.stringify({ actionId, agentId: "release-pipeline" })),
      ),
    ).rejects.toMatchObject({ code: "identity_mismatch" });
    await vi.waitFor(() => {
      const refusal = seen.find((e) => e.type === events.approvalRefused.type && e.actionId === actionId) as
        Envelope<ApprovalRefusedData> | undefined;
      expect(refusal?.data).toMatchObject({ attempt: "verdict", code: "identity_mismatch" });
    }, WAIT);
  } finally {
    await drainNats(owner);
    await drainNats(other);
    const bob = await approver("bob", ["on-call-engineer"]);
    await bob.decide({
      actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_REJECT,
      comment: "test over",
    });
    await asked.catch(() => undefined);
  }
}, 180_000);
