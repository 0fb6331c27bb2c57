// End to end, an approval nobody answers (issues #13/#15): each service its own process (policy,
// approval, audit) on the real NATS, Temporal dev server and Mongo-wire server; the agent through
// @warden/sdk, people through the public gRPC API and the `warden` CLI. A test bundle (a copy of
// governance/) gives production_deployment levels of 3 s each: team lead / on-call 3 s → engineering
// lead 3 s → CTO 3 s. Nobody votes: each level's escalation is published in order with the next
// level's roles, the last timeout blocks the action (never approves it), the verdict ABORT is
// published once, the guarded action never runs, `warden approvals show` says blocked, the audit
// holds the story and a vote after the block is refused.
// Control (deterministic, no race against the 3 s timers): the same checks on a deploy the bundle
// routes to a copy of the workflow with its original 30 min levels, approved by two people, report
// approved — so the block assertions would fail if the workflow had approved on a timer.
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { approvalV1, auditV1 } from "@warden/contracts";
import { Status } from "@warden/grpc";
import { events } from "@warden/messaging";
import type { ActionVerdictData, ApprovalRefusedData, Envelope } from "@warden/messaging";
import { ApprovalRefusedError } from "@warden/sdk";
import type { WardenAgent } from "@warden/sdk";
import { uniqueName } from "@warden/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { e2eStack } from "./lib/stack.ts";

const governance = fileURLToPath(new URL("../../governance", import.meta.url));
const cliMain = fileURLToPath(new URL("../../apps/cli/src/main.ts", import.meta.url));
const stack = e2eStack("escalation");
const { seen, processes } = stack;
const WAIT = { timeout: 90_000, interval: 100 } as const;
let agent: WardenAgent;

const ORIGINAL_LEVELS = `    timeout: 30m
    escalation:
      - { role: engineering-lead, after: 30m }
`;
const SHORT_LEVELS = `    timeout: 3s
    escalation:
      - { role: engineering-lead, after: 3s }
      - { role: cto, after: 6s }
`;

/** governance/ with production_deployment's levels at 3 s each; production patch deploys go to
 * `slow_deployment`, a copy of the original workflow (30 min levels), for the control. */
async function testBundle(into: string): Promise<string> {
  const bundle = join(into, "governance");
  await cp(governance, bundle, { recursive: true });
  // the bundle's own policy tests expect the original routing; this copy is not the example bundle
  await rm(join(bundle, "tests"), { recursive: true, force: true });
  const workflowsFile = join(bundle, "workflows.yaml");
  const workflows = await readFile(workflowsFile, "utf8");
  const start = workflows.indexOf("  - id: production_deployment\n");
  const end = workflows.indexOf("  - id: ", start + 1);
  const original = workflows.slice(start, end);
  if (start < 0 || !original.includes(ORIGINAL_LEVELS))
    throw new Error("production_deployment changed shape");
  const slow = original.replace("id: production_deployment", "id: slow_deployment");
  await writeFile(
    workflowsFile,
    workflows.slice(0, start) + original.replace(ORIGINAL_LEVELS, SHORT_LEVELS) + slow + workflows.slice(end),
  );
  const matrixFile = join(bundle, "decision-matrix.yaml");
  const matrix = await readFile(matrixFile, "utf8");
  const patchRow =
    /(version: patch\n {4}approvers: 2\n {4}ai: recommend\n {4}risk: high\n {4}workflow: )production_deployment/;
  if (!patchRow.test(matrix)) throw new Error("the production patch row changed shape");
  await writeFile(matrixFile, matrix.replace(patchRow, "$1slow_deployment"));
  return bundle;
}

beforeAll(async () => {
  await stack.open();
  const bundle = await testBundle(stack.dir);
  await stack.start("policy", { POLICY_BUNDLE_DIR: bundle, POLICY_WATCH: "false" });
  await stack.start("approval", stack.temporalEnv());
  await stack.start("audit", stack.auditEnv());
  agent = await stack.agent("release-pipeline", "production");
}, 240_000);

afterAll(() => stack.close(), 120_000);

const { client, person } = stack;
const approvals = async (sub: string, roles: string[]) =>
  client(approvalV1.ApprovalServiceDefinition, "approval", await person(sub, roles));

const deploy = (actionId: string, versionChange: "minor" | "patch") =>
  ({
    actionId,
    action: "change.deploy",
    changeType: "code",
    environment: "production",
    versionChange,
    target: "service/payments-api",
    reason: "ship 2.4.x",
  }) as const;

/** The guarded deploy, counting its runs; the outcome settles to a value or the error. */
function guardedDeploy(actionId: string, versionChange: "minor" | "patch") {
  const runs = { count: 0 };
  const outcome = agent
    .guard(
      deploy(actionId, versionChange),
      () => {
        runs.count += 1;
        return { deployed: "2.4.x" };
      },
      { timeoutMs: 150_000 },
    )
    .then(
      (value) => ({ ran: true as const, value }),
      (err: unknown) => ({ ran: false as const, err }),
    );
  return { runs, outcome };
}

/** `warden approvals show <id> --json` as a child process against the approval service. */
async function wardenShow(actionId: string, token: string): Promise<Record<string, unknown>> {
  const p = processes.approval;
  if (p === undefined) throw new Error("approval not started");
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        [cliMain, "approvals", "show", actionId, "--token", token, "--json"],
        {
          stdio: ["ignore", "pipe", "pipe"],
          env: { PATH: process.env.PATH ?? "", WARDEN_APPROVAL_ADDR: `127.0.0.1:${p.grpcPort}` },
        },
      );
      let out = "";
      let err = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
    },
  );
  if (code !== 0) throw new Error(`warden approvals show exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as Record<string, unknown>;
}

const approvalOrVerdict = (e: Envelope<unknown>) =>
  e.type.startsWith("warden.approval.") || e.type === events.actionVerdict.type;

/** What the events on NATS say about one action, up to (not including) `until` if given. */
function story(actionId: string, until?: Envelope<unknown>) {
  const end = until === undefined ? seen.length : seen.indexOf(until);
  const mine = seen.slice(0, end).filter((e) => e.actionId === actionId);
  const of = <T>(type: string) => mine.filter((e) => e.type === type) as Envelope<T>[];
  return {
    types: mine.filter(approvalOrVerdict).map((e) => e.type),
    escalations: of<{ level?: number; roles?: string[]; reason?: string }>(events.approvalEscalated.type).map(
      (e) => ({ level: e.data.level, roles: e.data.roles, reason: e.data.reason }),
    ),
    resolved: of<{ status?: string }>(events.approvalResolved.type).map((e) => e.data.status),
    verdicts: of<ActionVerdictData>(events.actionVerdict.type).map((e) => [e.data.verdict, e.data.status]),
    executed: of<unknown>(events.actionExecuted.type).length,
  };
}

/** The audit's records of one action, once `ready` holds for them. */
async function auditRecords(actionId: string, ready: (types: string[]) => boolean) {
  const auditor = client(auditV1.AuditServiceDefinition, "audit", await person("ann", ["auditor"]));
  return vi.waitFor(async () => {
    const { records } = await auditor.query({ filter: { actionId }, pageSize: 100 });
    if (!ready(records.map((r) => r.type)))
      throw new Error(`audit not complete yet: ${records.map((r) => r.type).join(", ")}`);
    return records;
  }, WAIT);
}

it("nobody votes: every level escalates in order, the last timeout blocks (never approves), a late vote is refused", async () => {
  const actionId = uniqueName("unanswered");
  const { runs, outcome } = guardedDeploy(actionId, "minor");

  // The guard settles without running the action: blocked.
  const settled = await outcome;
  expect(settled.ran).toBe(false);
  expect(runs.count).toBe(0);
  const err = settled.ran ? undefined : settled.err;
  expect(err).toBeInstanceOf(ApprovalRefusedError);
  expect((err as ApprovalRefusedError).status).toBe("APPROVAL_STATUS_BLOCKED");

  // Get and the CLI say blocked, at the last level.
  const alice = await approvals("alice", ["team-lead"]);
  const view = (await alice.get({ actionId })).approval;
  expect(view?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_BLOCKED);
  expect(view?.consumed).toBe(false);
  const shown = await wardenShow(actionId, await person("alice", ["team-lead"]));
  expect(shown.approval).toMatchObject({
    status: "APPROVAL_STATUS_BLOCKED",
    escalationLevel: 2,
    // each level waits 3 s, the last one too (the wire once carried the `after` offsets: 3, 3, 6)
    requirement: {
      timeoutSeconds: 3,
      escalationChain: [
        { roles: ["engineering-lead"], timeoutSeconds: 3 },
        { roles: ["cto"], timeoutSeconds: 3 },
      ],
    },
  });

  // A vote after the block is refused, on the record; its refusal event is the sentinel: the
  // approval service published it after everything it published about the block.
  const cto = await approvals("carl", ["cto"]);
  const late = cto.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
  await expect(late).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION });
  await expect(late).rejects.toThrow(/resolved/);
  const sentinel = await vi.waitFor(() => {
    const e = seen.find(
      (x) =>
        x.type === events.approvalRefused.type &&
        x.actionId === actionId &&
        (x.data as ApprovalRefusedData).code === "resolved",
    );
    if (e === undefined) throw new Error("no refusal of the late vote yet");
    return e;
  }, WAIT);
  expect((sentinel.data as ApprovalRefusedData).actor).toMatchObject({ id: "carl" });

  // Before the sentinel: requested, two escalations in order with the next level's roles, one
  // resolution (blocked), one verdict (ABORT) — and nothing else about this action.
  const before = story(actionId, sentinel);
  expect(before.escalations).toEqual([
    { level: 1, roles: ["engineering-lead"], reason: "timeout" },
    { level: 2, roles: ["cto"], reason: "timeout" },
  ]);
  expect(before.resolved).toEqual(["APPROVAL_STATUS_BLOCKED"]);
  expect(before.verdicts).toEqual([["VERDICT_ABORT", "APPROVAL_STATUS_BLOCKED"]]);
  expect(before.executed).toBe(0);
  expect(before.types).toEqual([
    events.approvalRequested.type,
    events.approvalEscalated.type,
    events.approvalEscalated.type,
    events.approvalResolved.type,
    events.actionVerdict.type,
  ]);
  expect(view?.escalationLevel).toBe(2);

  // The audit holds the same story, the late vote's refusal included, and no execution.
  const records = await auditRecords(actionId, (types) => types.includes(events.approvalRefused.type));
  const types = records.map((r) => r.type);
  expect(types.filter((x) => x === events.approvalEscalated.type)).toHaveLength(2);
  expect(types.filter((x) => x === events.actionVerdict.type)).toHaveLength(1);
  expect(types).toEqual(expect.arrayContaining([events.decisionMade.type, events.approvalResolved.type]));
  expect(types).not.toContain(events.actionExecuted.type);
  expect(records.find((r) => r.type === events.approvalResolved.type)?.outcome).toBe("blocked");
  expect(records.find((r) => r.type === events.actionVerdict.type)?.outcome).toBe("blocked");
}, 180_000);

it("control: the same checks on an approved deploy (30 min levels, two approvals) report approved", async () => {
  const actionId = uniqueName("answered");
  const { runs, outcome } = guardedDeploy(actionId, "patch");
  const alice = await approvals("alice", ["team-lead"]);
  await vi.waitFor(async () => {
    expect((await alice.get({ actionId })).approval?.status).toBe(
      approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING,
    );
  }, WAIT);
  await alice.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
  const bob = await approvals("bob", ["on-call-engineer"]);
  await bob.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
  expect(await outcome).toEqual({ ran: true, value: { deployed: "2.4.x" } });
  expect(runs.count).toBe(1);

  const view = (await alice.get({ actionId })).approval;
  expect(view?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_APPROVED);
  const shown = await wardenShow(actionId, await person("alice", ["team-lead"]));
  expect(shown.approval).toMatchObject({ status: "APPROVAL_STATUS_APPROVED", consumed: true });

  const executed = await vi.waitFor(() => {
    const e = seen.find((x) => x.type === events.actionExecuted.type && x.actionId === actionId);
    if (e === undefined) throw new Error("no warden.action.executed yet");
    return e;
  }, WAIT);
  const after = story(actionId, executed);
  expect(after.escalations).toEqual([]);
  expect(after.resolved).toEqual(["APPROVAL_STATUS_APPROVED"]);
  expect(after.verdicts).toEqual([["VERDICT_PROCEED", "APPROVAL_STATUS_APPROVED"]]);
  const records = await auditRecords(actionId, (types) => types.includes(events.actionVerdict.type));
  expect(records.find((r) => r.type === events.approvalResolved.type)?.outcome).toBe("approved");
}, 180_000);
