// `make demo`: drives the running system (started by `make up`) through the source material's
// scenarios and prints what Warden decided. Agents publish action requests on their own subjects;
// the policy service decides; the decisions come back as warden.decision.* events.
import { createDevIssuer } from "@warden/identity";
import { parseIdentity, writeDevCreds } from "@warden/nats-auth";
import type { NatsConnection } from "@nats-io/transport-node";
import { auditV1, commonV1, policyV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import {
  connectNats,
  createPublisher,
  decodeEnvelope,
  defaultTopology as t,
  drainNats,
  events,
} from "@warden/messaging";
import type { ActionRequestData, DecisionData } from "@warden/messaging";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { connect as connectAgent } from "@warden/sdk";

// The addresses `make up` used: the same WARDEN_*_PORT keys as scripts/dev-env.ts, so a stack on
// other ports (`WARDEN_NATS_PORT=14222 make demo`) is driven without more flags.
const portOf = (key: string, fallback: number): string => process.env[key] ?? String(fallback);
const local = (key: string, fallback: number): string => `127.0.0.1:${portOf(key, fallback)}`;
const natsUrl = process.env["NATS_URL"] ?? `nats://${local("WARDEN_NATS_PORT", 4222)}`;
const policyAddress = process.env["POLICY_ADDRESS"] ?? local("WARDEN_POLICY_GRPC_PORT", 50051);
const auditAddress = process.env["AUDIT_ADDRESS"] ?? local("WARDEN_AUDIT_GRPC_PORT", 50055);
const temporalUi = `http://${local("WARDEN_TEMPORAL_UI_PORT", 8233)}`;
const run = promisify(execFile);
const keyFile = join(import.meta.dirname, "..", ".warden", "dev-issuer.pem");

const scenarios: { say: string; request: Omit<ActionRequestData, "actionId"> }[] = [
  {
    say: "release pipeline deploys a patch to development",
    request: {
      agentId: "release-pipeline",
      action: "change.deploy",
      changeType: "CHANGE_TYPE_CODE",
      environment: "ENVIRONMENT_DEVELOPMENT",
      versionChange: "VERSION_CHANGE_PATCH",
    },
  },
  {
    say: "release pipeline deploys a patch to production",
    request: {
      agentId: "release-pipeline",
      action: "change.deploy",
      changeType: "CHANGE_TYPE_CODE",
      environment: "ENVIRONMENT_PRODUCTION",
      versionChange: "VERSION_CHANGE_PATCH",
    },
  },
  {
    say: "financial advisor executes a $5,000 transaction",
    request: {
      agentId: "financial-advisor",
      action: "transaction.execute",
      amount: { currencyCode: "USD", units: 5_000 },
    },
  },
  {
    say: "customer support e-mails a customer an address",
    request: {
      agentId: "customer-support",
      action: "message.send",
      message: { channel: "email", external: true, body: "Write to jane.doe@example.com" },
    },
  },
  {
    say: "knowledge-base agent tries to push code",
    request: { agentId: "knowledge-base-qa", action: "code.push", environment: "ENVIRONMENT_PRODUCTION" },
  },
];

// NATS runs with authentication on (make up): the demo's console watches decisions as an admin
// identity; each agent connects with its own credentials and may publish only on its own subject.
const stateDir = join(import.meta.dirname, "..", ".warden");
const consoleCreds = await writeDevCreds(stateDir, parseIdentity("admin:demo-console"));
const nc = await connectNats({ servers: natsUrl, name: "warden-demo", creds: consoleCreds.creds });
const agents = new Map<string, NatsConnection>();
async function agentConnection(agentId: string): Promise<NatsConnection> {
  let c = agents.get(agentId);
  if (c === undefined) {
    const creds = await writeDevCreds(stateDir, parseIdentity(`agent:${agentId}`));
    c = await connectNats({
      servers: natsUrl,
      name: `agent/${agentId}`,
      creds: creds.creds,
      inboxPrefix: creds.inboxPrefix,
    });
    agents.set(agentId, c);
  }
  return c;
}
const decisions = new Map<string, DecisionData>();
const sub = nc.subscribe(t.subjects.decisionAll, {
  callback: (_err, msg) => {
    const e = decodeEnvelope(msg.data);
    if (e.type === events.decisionMade.type && e.actionId !== undefined)
      decisions.set(e.actionId, e.data as DecisionData);
  },
});
await nc.flush();

console.log(`Warden demo — NATS ${natsUrl}, policy gRPC ${policyAddress}\n`);
const runId = Date.now().toString(36);
// Steps that did not go as the story says: printed at the end, and the demo exits 1.
const failures: string[] = [];
for (const [i, scenario] of scenarios.entries()) {
  const actionId = `demo-${runId}-${i}`;
  // Each agent publishes as itself: the subject's last token is its identity.
  const agent = createPublisher(await agentConnection(scenario.request.agentId), {
    source: `agent/${scenario.request.agentId}`,
  });
  await agent.publish(t.subjects.actionRequested(scenario.request.agentId), events.actionRequested, {
    actionId,
    actor: { type: "ai_agent", id: scenario.request.agentId, roles: [] },
    data: { actionId, ...scenario.request },
  });
  const deadline = Date.now() + 5_000;
  while (!decisions.has(actionId) && Date.now() < deadline) await sleep(20);
  const d = decisions.get(actionId);
  if (d === undefined) failures.push(`no decision for "${scenario.say}"`);
  const outcome =
    d?.outcome.replace("OUTCOME_", "").toLowerCase() ??
    "NO DECISION (is the policy service up? `make status`)";
  console.log(
    `• ${scenario.say}\n    → ${outcome}${d?.approval ? ` (${d.approval.minApprovers} approvers, workflow ${d.approval.workflow})` : ""}`,
  );
  for (const r of d?.matchedRules ?? []) console.log(`      ${r.ruleId}: ${r.reason}`);
}
sub.unsubscribe();
for (const c of agents.values()) await drainNats(c);
await drainNats(nc);

const issuer = await createDevIssuer({ issuer: "warden-dev", audience: "warden", keyFile });
// A policy author's console: reading the bundle and explaining a request need a role (ADR 0009).
const token = await issuer.issue({ sub: "demo-console", type: "human", roles: ["policy-author"] });
const grpc = createGrpcClient(policyV1.PolicyServiceDefinition, policyAddress, { token });
const { client } = grpc;
try {
  const { bundle } = await client.getBundle({});
  console.log(`\nActive policy bundle ${bundle?.digest} — ${bundle?.ruleCount} rules from ${bundle?.source}`);
  const explained = await client.explain({
    request: commonV1.ActionRequest.fromJSON({
      actionId: `demo-${runId}-explain`,
      agentId: "financial-advisor",
      action: "contract.sign",
    }),
  });
  console.log(
    `Explain "financial-advisor signs a contract" → ${explained.decision?.outcome}, ${explained.rules.filter((r) => r.matched).length} rules matched of ${explained.rules.length} considered (a dry run by ${explained.decision?.dryRunBy?.id}: recorded, not counted)`,
  );
} finally {
  grpc.close();
}

// `warden` (apps/cli) as a person: a dev token for them, the services' `make up` addresses.
const cliMain = join(import.meta.dirname, "..", "apps", "cli", "src", "main.ts");
const approvalAddress = process.env["APPROVAL_ADDRESS"] ?? local("WARDEN_APPROVAL_GRPC_PORT", 50054);
const killSwitchAddress = process.env["KILLSWITCH_ADDRESS"] ?? local("WARDEN_KILLSWITCH_GRPC_PORT", 50053);
async function warden(
  args: string[],
  as: { sub: string; roles: string[] },
): Promise<{ ok: boolean; out: string }> {
  const personToken = await issuer.issue({ sub: as.sub, type: "human", roles: as.roles });
  const flags = [
    "--token",
    personToken,
    "--approval-addr",
    approvalAddress,
    "--killswitch-addr",
    killSwitchAddress,
  ];
  return run(process.execPath, [cliMain, ...args, ...flags]).then(
    (r) => ({ ok: true, out: r.stdout.trim() }),
    (err: { stdout?: string; stderr?: string }) => ({
      ok: false,
      out: (err.stderr ?? err.stdout ?? "").trim(),
    }),
  );
}

// The governance loop (DESIGN.md §5): a production deploy of a minor version needs two approvers,
// one of them a team lead. The pipeline asks through the SDK and waits; the human who launched it is
// refused; two people approve through the CLI; the guarded deploy runs once.
{
  const pipelineCreds = await writeDevCreds(stateDir, parseIdentity("agent:release-pipeline"));
  const pipeline = await connectAgent({
    agentId: "release-pipeline",
    agentType: "service",
    natsUrl,
    credentials: { credsFile: pipelineCreds.file },
    environment: "production",
  });
  const deployId = `demo-${runId}-deploy`;
  console.log(`\nThe approval loop (${deployId}):`);
  console.log(
    "• release pipeline, launched by carol, asks to deploy payments-api 2.4.0 (minor) to production",
  );
  let deployed = 0;
  const guarded = pipeline.guard(
    {
      actionId: deployId,
      action: "change.deploy",
      changeType: "code",
      environment: "production",
      versionChange: "minor",
      target: "service/payments-api",
      requestedBy: { type: "ACTOR_TYPE_HUMAN", id: "carol" },
      reason: "ship 2.4.0",
    },
    () => {
      deployed += 1;
      return { deployed: "2.4.0" };
    },
    { timeoutMs: 60_000 },
  );
  const refusal = guarded.catch((err: unknown) => err);
  let shown = { ok: false, out: "" };
  for (let i = 0; i < 50 && !shown.ok; i += 1) {
    shown = await warden(["approvals", "show", deployId], { sub: "alice", roles: ["team-lead"] });
    if (!shown.ok) await sleep(200);
  }
  console.log(
    shown.ok
      ? "    → approval required; the approval workflow waits:"
      : `    → no approval found: ${shown.out}`,
  );
  for (const line of shown.out.split("\n").slice(0, 3)) console.log(`      ${line}`);
  const self = await warden(["approvals", "approve", deployId], { sub: "carol", roles: ["team-lead"] });
  console.log(
    `• carol (who launched the pipeline) tries to approve → ${self.ok ? "ACCEPTED (unexpected)" : "refused"}`,
  );
  console.log(`      ${self.out.split("\n")[0] ?? ""}`);
  for (const [sub, roles] of [
    ["alice", ["team-lead"]],
    ["bob", ["on-call-engineer"]],
  ] as const) {
    const vote = await warden(["approvals", "approve", deployId, "--comment", "diff checked"], {
      sub,
      roles: [...roles],
    });
    console.log(
      `• ${sub} (${roles.join(", ")}) approves with the CLI → ${vote.ok ? "counted" : `refused: ${vote.out}`}`,
    );
  }
  const outcome = await Promise.race([guarded, refusal]);
  if (deployed !== 1) failures.push(`the approved deploy did not run: ${String(outcome)}`);
  console.log(
    deployed === 1
      ? `• the pipeline's guarded deploy ran once (approval consumed): ${JSON.stringify(outcome)}`
      : `• the deploy did not run: ${String(outcome)}`,
  );
  await pipeline.close();
  console.log(
    `  Temporal UI: ${temporalUi}/namespaces/default/workflows/approval-${deployId} — stuck approvals: temporal workflow list --query 'WardenStatus="pending"'`,
  );
}

// The rollback (DESIGN.md §7): the approved deploy goes out and the release pipeline reports it
// to the rollback monitor, as a pipeline would, with its own NATS credentials (it may publish
// warden.deploy.> and warden.signal.>, libs/nats-auth `reportsDeployments`). The new version fails
// its health checks; the monitor's `health-check-failures` trigger (governance/rollback.yaml) starts
// the rollback workflow, which asks for the switch back, verifies it by health checks and opens an
// incident. (The error-rate and latency triggers need a full 5-minute window: too long for a demo.)
{
  const reporterCreds = await writeDevCreds(stateDir, parseIdentity("agent:release-pipeline"), {
    reportsDeployments: true,
  });
  const pipelineNc = await connectNats({
    servers: natsUrl,
    name: "agent/release-pipeline (deploy reporter)",
    creds: reporterCreds.creds,
    inboxPrefix: reporterCreds.inboxPrefix,
  });
  const reporter = createPublisher(pipelineNc, { source: "agent/release-pipeline" });
  const watcher = await connectNats({
    servers: natsUrl,
    name: "warden-demo/rollback",
    creds: consoleCreds.creds,
  });
  const deploymentId = `demo-${runId}-payments`;
  const actionId = `demo-${runId}-deploy`;
  const seen = new Map<string, Record<string, unknown>>();
  const watched = [t.subjects.rollbackAll, t.subjects.incidentAll, t.subjects.escalationAll];
  const subs = watched.map((subject) =>
    watcher.subscribe(subject, {
      callback: (_err, msg) => {
        if (!msg.subject.endsWith(`.${deploymentId}`)) return;
        const e = decodeEnvelope(msg.data);
        seen.set(e.type, e.data as Record<string, unknown>);
      },
    }),
  );
  await watcher.flush();
  const waitFor = async (type: string, ms = 20_000): Promise<Record<string, unknown> | undefined> => {
    const deadline = Date.now() + ms;
    while (!seen.has(type) && Date.now() < deadline) await sleep(20);
    return seen.get(type);
  };
  const health = (passed: boolean, detail: string) =>
    reporter.publish(t.subjects.signal("health", deploymentId), events.signalObserved, {
      actionId,
      data: {
        deploymentId,
        kind: "SIGNAL_KIND_HEALTH",
        passed,
        detail,
        source: "release-pipeline/probe",
        observedAt: new Date().toISOString(),
      },
    });
  console.log(`
The rollback (deployment ${deploymentId}):`);
  const startedAt = new Date().toISOString();
  await reporter.publish(t.subjects.deploy("started", deploymentId), events.deploymentStarted, {
    actionId,
    data: {
      deploymentId,
      actionId,
      agentId: "release-pipeline",
      service: "payments-api",
      environment: "ENVIRONMENT_PRODUCTION",
      version: "2.4.0",
      previousVersion: "2.3.1",
      strategy: "blue-green",
      startedAt,
    },
  });
  await reporter.publish(t.subjects.deploy("completed", deploymentId), events.deploymentCompleted, {
    actionId,
    data: { deploymentId, service: "payments-api", succeeded: true, completedAt: new Date().toISOString() },
  });
  console.log("• the pipeline reports payments-api 2.4.0 live in production (blue-green, previous 2.3.1)");
  for (let i = 1; i <= 3; i += 1) await health(false, `GET /healthz → 503 (check ${i})`);
  console.log("• its health probe fails three times in a row (HTTP 503)");
  const triggered = await waitFor(events.rollbackTriggered.type);
  if (triggered === undefined) failures.push("no rollback triggered");
  console.log(
    triggered === undefined
      ? "    → NO ROLLBACK TRIGGERED (is the rollback monitor up? `make status`)"
      : `    → trigger ${String(triggered["trigger"])}: ${String(triggered["reason"])}; workflow ${String(triggered["workflowId"])}`,
  );
  const requested = await waitFor(events.rollbackRequested.type);
  if (requested !== undefined) {
    console.log(
      `• rollback requested: ${String(requested["strategy"])} ${String(requested["fromVersion"])} → ${String(requested["toVersion"])}`,
    );
    // The deployment system switches traffic back; the probe keeps probing (every 200 ms here)
    // until the monitor has verified the rollback (3 consecutive passing checks).
    let checks = 0;
    while (!seen.has(events.rollbackCompleted.type) && checks < 30) {
      checks += 1;
      await health(true, `GET /healthz → 200 on 2.3.1 (check ${checks})`);
      await waitFor(events.rollbackCompleted.type, 200);
    }
    console.log(`• the pipeline switches back to 2.3.1; its probe passes (${checks} checks sent)`);
  }
  const completed = await waitFor(events.rollbackCompleted.type);
  if (completed === undefined) failures.push("the rollback did not complete");
  console.log(
    completed === undefined
      ? "    → the rollback did not complete"
      : `    → rollback ${String(completed["result"]).replace("ROLLBACK_RESULT_", "").toLowerCase()}: ${String(completed["detail"])}`,
  );
  const incident = await waitFor(events.incidentOpened.type);
  if (incident !== undefined) {
    console.log(
      `• incident ${String(incident["incidentId"])} opened (${String(incident["severity"])}); post-incident review due ${String(incident["reviewDueAt"])}`,
    );
  }
  console.log(`  Temporal UI: ${temporalUi}/namespaces/default/workflows/rollback-${deploymentId}`);
  for (const s of subs) s.unsubscribe();
  await drainNats(watcher);
  await drainNats(pipelineNc);
}

// The emergency stop (DESIGN.md §6): ops stop production while the pipeline is mid-deploy; its
// running action is aborted through its AbortSignal and its next request refused; lifting the stop
// takes two people (engineering lead and security lead), and then work flows again. The demo lifts
// its own stop whatever happens (a failed step, an exception, Ctrl-C): the stack is left clear, so
// `make demo` runs again on the same stack.
const lift = (reviewRef: string) => [
  "stop",
  "deactivate",
  "--review-ref",
  reviewRef,
  "--root-cause",
  "demo",
  "--prevention",
  "demo",
];
/** Whether the kill switch reports an active stop; undefined when it cannot be asked. */
async function stopActive(): Promise<boolean | undefined> {
  const status = await warden(["stop", "status", "--json"], { sub: "olga", roles: ["on-call-engineer"] });
  if (!status.ok) return undefined;
  const json = JSON.parse(status.out) as { state?: { active?: boolean } };
  return json.state?.active === true;
}
/** Lifts a stop the demo left active (two people, as always), once; says what it did. */
let leftover: Promise<void> | undefined;
function liftLeftoverStop(): Promise<void> {
  leftover ??= (async () => {
    if ((await stopActive()) !== true) return;
    const reviewRef = `INC-${runId}-cleanup`;
    await warden(lift(reviewRef), { sub: "erin", roles: ["engineering-lead"] });
    await warden(lift(reviewRef), { sub: "sam", roles: ["security-lead"] });
    const still = await stopActive();
    console.log(
      still === false
        ? "• the demo lifted the stop it left active (erin and sam): the stack is clear"
        : "• THE STOP IS STILL ACTIVE: lift it with `warden stop deactivate` (an engineering lead and a security lead)",
    );
  })();
  return leftover;
}
{
  const creds = await writeDevCreds(stateDir, parseIdentity("agent:release-pipeline"));
  const pipeline = await connectAgent({
    agentId: "release-pipeline",
    agentType: "service",
    natsUrl,
    credentials: { credsFile: creds.file },
    environment: "production",
  });
  const staging = {
    action: "change.deploy",
    changeType: "code",
    environment: "staging",
    versionChange: "patch",
  } as const;
  console.log("\nThe emergency stop:");
  const onInterrupt = () => {
    console.log("\n• interrupted: lifting the demo's stop first");
    void liftLeftoverStop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onInterrupt);
  try {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const longDeploy = pipeline
      .guard({ ...staging, actionId: `demo-${runId}-long` }, async (signal) => {
        started();
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 60_000);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(signal.reason as Error);
          });
        });
      })
      .then(
        () => "finished (unexpected)",
        (err: unknown) => `aborted: ${(err as Error).message}`,
      );
    await running;
    console.log("• the pipeline runs a long staging deploy (allowed, no approval needed)");
    const stop = await warden(
      ["stop", "activate", "--scope", "global", "--reason", "demo: agents misbehaving"],
      {
        sub: "olga",
        roles: ["on-call-engineer"],
      },
    );
    console.log(
      `• olga (on-call) stops everything with the CLI → ${stop.ok ? stop.out.split("\n")[0] : `refused: ${stop.out}`}`,
    );
    const aborted = await longDeploy;
    console.log(`• the running deploy: ${aborted}`);
    if (!aborted.startsWith("aborted")) failures.push(`the running deploy was not aborted: ${aborted}`);
    const next = await pipeline
      .guard({ ...staging, actionId: `demo-${runId}-next` }, () => "ran")
      .catch((err: unknown) => `refused: ${(err as Error).message}`);
    console.log(`• the pipeline's next request → ${next}`);
    if (!next.startsWith("refused")) failures.push(`the request under the stop was not refused: ${next}`);
    const first = await warden(lift(`INC-${runId}`), { sub: "erin", roles: ["engineering-lead"] });
    console.log(`• erin (engineering lead) asks to resume → ${first.out.split("\n")[0] ?? ""}`);
    const second = await warden(lift(`INC-${runId}`), { sub: "sam", roles: ["security-lead"] });
    console.log(`• sam (security lead) agrees → ${second.out.split("\n")[0] ?? ""}`);
    let after = "";
    for (let i = 0; i < 50; i += 1) {
      after = await pipeline
        .guard({ ...staging, actionId: `demo-${runId}-after-${i}` }, () => "ran")
        .catch((err: unknown) => `refused: ${(err as Error).message}`);
      if (after === "ran") break;
      await sleep(200);
    }
    console.log(`• the pipeline's next deploy → ${after}`);
    if (!stop.ok) failures.push(`the stop was not activated: ${stop.out}`);
    if (after !== "ran") failures.push(`work did not flow again after the resume: ${after}`);
  } finally {
    process.off("SIGINT", onInterrupt);
    await liftLeftoverStop();
    await pipeline.close();
  }
}

// The audit trail: every event above was recorded, hash-chained; an auditor can follow one action.
const auditorToken = await issuer.issue({ sub: "demo-auditor", type: "human", roles: ["auditor"] });
const auditGrpc = createGrpcClient(auditV1.AuditServiceDefinition, auditAddress, { token: auditorToken });
try {
  const actionId = `demo-${runId}-2`;
  let records: auditV1.AuditRecord[] = [];
  const deadline = Date.now() + 10_000;
  while (records.length < 2 && Date.now() < deadline) {
    records = (await auditGrpc.client.query({ filter: { actionId }, pageSize: 50 })).records;
    if (records.length < 2) await sleep(200);
  }
  console.log(`\nAudit trail of ${actionId} (the $5,000 transaction):`);
  for (const r of records) console.log(`  seq ${r.seq}  ${r.type.padEnd(26)} hash ${r.hash.slice(0, 16)}…`);
  // The deploy's whole story under its actionId: request, decision, votes, verdict, execution, the
  // deployment and its signals, the rollback and the incident.
  const deployActionId = `demo-${runId}-deploy`;
  let story: auditV1.AuditRecord[] = [];
  const storyDeadline = Date.now() + 10_000;
  while (!story.some((r) => r.type === events.incidentOpened.type) && Date.now() < storyDeadline) {
    story = (await auditGrpc.client.query({ filter: { actionId: deployActionId }, pageSize: 200 })).records;
    if (!story.some((r) => r.type === events.incidentOpened.type)) await sleep(200);
  }
  const byType = new Map<string, number>();
  for (const r of story) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  console.log(
    `\nAudit trail of ${deployActionId} (the approved deploy and its rollback): ${story.length} records`,
  );
  for (const [type, n] of byType) console.log(`  ${type.padEnd(30)} ×${n}`);
  console.log(`  query: pnpm warden audit query --action-id ${deployActionId}`);
  const verified = await auditGrpc.client.verify({});
  if (!verified.ok) failures.push(`the audit chain does not verify: ${verified.detail}`);
  console.log(
    `Audit chain: ${verified.ok ? "verifies" : `BROKEN at seq ${verified.firstBadSeq}: ${verified.detail}`} (${verified.recordsChecked} records, ${verified.checkpointsChecked} signed checkpoints)`,
  );
} finally {
  auditGrpc.close();
}

if (failures.length > 0) {
  console.log(`\nThe demo did not go as told (${failures.length}):`);
  for (const f of failures) console.log(`  ✗ ${f}`);
  process.exitCode = 1;
}
