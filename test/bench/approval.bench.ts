// Approval service latencies, p50 / p99, each against a peer measured in the same run:
//   start:   `approval_required` decision published → `warden.approval.requested` received (JetStream
//            consumer → client.workflow.start → first workflow task → publishRequested activity),
//            vs a bare `client.workflow.start` of the same workflow and input → the same event;
//   verdict: final vote over gRPC Decide → `warden.action.verdict` received, vs a bare
//            `executeUpdate(voteUpdate)` on the workflow → the same event;
//   floor:   NATS request-reply to an echo responder in its own process.
// The service runs in its own process with its worker (`node services/approval/src/main.ts`); NATS and the
// Temporal dev server are started here unless NATS_URL / TEMPORAL_ADDRESS name running ones.
// `node test/bench/approval.bench.ts [runs]` (default 100). Never asserted; prints numbers only.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { approvalV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import { createDevIssuer } from "@warden/identity";
import { connectNats, createPublisher, decodeEnvelope, drainNats, events, topology } from "@warden/messaging";
import type { DecisionData } from "@warden/messaging";
import { startServiceProcess } from "@warden/testing";
import { startNats, startTemporalDev } from "@warden/testing/servers";
import { Client, Connection } from "@temporalio/client";
import {
  APPROVAL_WORKFLOW_TYPE,
  approvalInputFromDecision,
  approvalWorkflowId,
  voteUpdate,
} from "@warden/approval";
import { formatNs, summarize } from "./lib/stats.ts";
import type { Summary } from "./lib/stats.ts";

const RUNS = Number(process.argv[2] ?? 100);
const WARMUP = Math.min(10, RUNS);
const ownedNats = process.env["NATS_URL"] === undefined ? await startNats() : undefined;
const ownedTemporal = process.env["TEMPORAL_ADDRESS"] === undefined ? await startTemporalDev() : undefined;
const natsUrl = process.env["NATS_URL"] ?? ownedNats?.url ?? "";
const temporalAddress = process.env["TEMPORAL_ADDRESS"] ?? ownedTemporal?.address ?? "";
const t = topology(`aprbench${process.pid}`);
const taskQueue = `approval-bench-${process.pid}`;
const dir = await mkdtemp(join(tmpdir(), "warden-approval-bench-"));
const keyFile = join(dir, "dev-issuer.pem");
const issuer = await createDevIssuer({ issuer: "warden-bench", audience: "warden", keyFile });
const POLICY = { breakGlassRoles: ["cto"], breakGlassValiditySeconds: 900, approvalValiditySeconds: 3600 };
const children: ChildProcess[] = [];

function decision(agentId: string): DecisionData {
  const actionId = `bench-${randomUUID()}`;
  return events.decisionMade.data.parse({
    actionId,
    agentId,
    outcome: "OUTCOME_APPROVAL_REQUIRED",
    matchedRules: [{ ruleId: "prod.deploy", effect: "EFFECT_APPROVAL_REQUIRED", reason: "bench" }],
    approval: {
      workflow: "production_deployment",
      minApprovers: 1,
      eligibleRoles: ["engineering-lead"],
      timeoutSeconds: 3600,
      escalationChain: [{ roles: ["cto"], timeoutSeconds: 3600 }],
      notificationChannels: [],
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
  });
}

async function echoResponder(subject: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, "lib", "echo-responder.ts"), natsUrl, subject, "echo"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes("ready")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error("echo responder did not start");
    await sleep(20);
  }
  return child;
}

const row = (name: string, s: Summary, peer?: Summary): string =>
  `${name.padEnd(46)} p50 ${formatNs(s.p50Ns).padStart(10)}  p99 ${formatNs(s.p99Ns).padStart(10)}` +
  (peer === undefined
    ? ""
    : `  ×${(s.p50Ns / peer.p50Ns).toFixed(2)} p50, ×${(s.p99Ns / peer.p99Ns).toFixed(2)} p99`);

const service = await startServiceProcess(
  "approval",
  {
    NATS_URL: natsUrl,
    WARDEN_NAMESPACE: t.namespace,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    JWT_ISSUER: "warden-bench",
    JWT_DEV_KEY_FILE: keyFile,
    LOG_LEVEL: "warn",
  },
  join(dir, "approval.log"),
);
const nc = await connectNats({ servers: natsUrl, name: "approval-bench" });
const connection = await Connection.connect({ address: temporalAddress });
const client = new Client({ connection });
const grpc = createGrpcClient(approvalV1.ApprovalServiceDefinition, `127.0.0.1:${service.grpcPort}`, {
  token: await issuer.issue({ sub: "bob", roles: ["engineering-lead"], type: "human" }),
});
try {
  const policy = createPublisher(nc, { source: "policy" });
  // One subscription for every event: the waiter of an action id (and event type) is resolved on arrival.
  const waiters = new Map<string, () => void>();
  const sub = nc.subscribe(t.subjects.allEvents);
  void (async () => {
    for await (const m of sub) {
      const e = decodeEnvelope(m.data);
      const key = `${e.type}/${e.actionId ?? ""}`;
      waiters.get(key)?.();
      waiters.delete(key);
    }
  })();
  await nc.flush();
  const arrival = (type: string, actionId: string): Promise<void> =>
    new Promise((resolve) => waiters.set(`${type}/${actionId}`, resolve));

  const echoSubject = `${t.namespace}.echo`;
  await echoResponder(echoSubject);

  const started = new Float64Array(RUNS);
  const startedPeer = new Float64Array(RUNS);
  const verdict = new Float64Array(RUNS);
  const verdictPeer = new Float64Array(RUNS);
  const floor = new Float64Array(RUNS);
  for (let i = -WARMUP; i < RUNS; i++) {
    // Service path: decision event → requested; Decide → verdict.
    const d = decision("bench-bot");
    const requested = arrival("warden.approval.requested", d.actionId);
    let t0 = process.hrtime.bigint();
    await policy.publish(t.subjects.decision("approval_required", d.agentId), events.decisionMade, {
      actionId: d.actionId,
      data: d,
    });
    await requested;
    const a = Number(process.hrtime.bigint() - t0);
    const decided = arrival("warden.action.verdict", d.actionId);
    t0 = process.hrtime.bigint();
    await grpc.client.decide({
      actionId: d.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    });
    await decided;
    const b = Number(process.hrtime.bigint() - t0);

    // Peer: the same workflow and input, started and voted on with the bare client.
    const p = decision("bench-bot");
    const input = approvalInputFromDecision(p, p.agentId, POLICY);
    const peerRequested = arrival("warden.approval.requested", p.actionId);
    t0 = process.hrtime.bigint();
    const handle = await client.workflow.start(APPROVAL_WORKFLOW_TYPE, {
      workflowId: approvalWorkflowId(p.actionId),
      taskQueue,
      args: [input],
    });
    await peerRequested;
    const c = Number(process.hrtime.bigint() - t0);
    const peerDecided = arrival("warden.action.verdict", p.actionId);
    t0 = process.hrtime.bigint();
    await handle.executeUpdate(voteUpdate, {
      args: [{ voter: { type: "human", id: "bob", roles: ["engineering-lead"] }, decision: "approve" }],
    });
    await peerDecided;
    const e = Number(process.hrtime.bigint() - t0);

    t0 = process.hrtime.bigint();
    await nc.request(echoSubject, "ping", { timeout: 5_000 });
    const f = Number(process.hrtime.bigint() - t0);
    if (i >= 0) {
      started[i] = a;
      verdict[i] = b;
      startedPeer[i] = c;
      verdictPeer[i] = e;
      floor[i] = f;
    }
  }
  sub.unsubscribe();
  const s = {
    started: summarize(started),
    startedPeer: summarize(startedPeer),
    verdict: summarize(verdict),
    verdictPeer: summarize(verdictPeer),
    floor: summarize(floor),
  };
  console.log(
    `approval bench: ${RUNS} runs (+${WARMUP} warm-up), one at a time, Temporal ${temporalAddress}`,
  );
  console.log(row("decision → workflow started (requested event)", s.started, s.startedPeer));
  console.log(row("  peer: bare client.workflow.start → requested", s.startedPeer));
  console.log(row("final vote (gRPC Decide) → verdict event", s.verdict, s.verdictPeer));
  console.log(row("  peer: bare executeUpdate(vote) → verdict", s.verdictPeer));
  console.log(row("floor: NATS request-reply (echo process)", s.floor));
  console.log(
    `ratios to the NATS floor (p99): start ×${(s.started.p99Ns / s.floor.p99Ns).toFixed(1)}, verdict ×${(s.verdict.p99Ns / s.floor.p99Ns).toFixed(1)}`,
  );
} finally {
  grpc.close();
  for (const child of children) child.kill("SIGTERM");
  await service.stop();
  await connection.close();
  await drainNats(nc);
  await ownedTemporal?.stop();
  await ownedNats?.stop();
  await rm(dir, { recursive: true, force: true });
}
