// End to end, the demo's variants (issue #15), each service its own process on the real NATS,
// Temporal dev server and Mongo-wire server: policy, approval, kill switch and audit; the agent
// through @warden/sdk, people through the public gRPC APIs.
//   (a) a rejection: a reject without a reason is refused (reason_required); with one, the approval
//       is rejected, the guarded action never runs, and the verdict and the audit say rejected.
//   (b) an emergency stop while an approval is pending: the approval freezes, a vote is refused
//       while frozen, the stop is lifted by two people, the approval is pending again and, approved,
//       the guarded action runs once.
import { fileURLToPath } from "node:url";
import { approvalV1, auditV1, killswitchV1 } from "@warden/contracts";
import { Status } from "@warden/grpc";
import { events } from "@warden/messaging";
import type { ActionVerdictData, ApprovalRefusedData, Envelope } from "@warden/messaging";
import { ApprovalRefusedError } from "@warden/sdk";
import type { WardenAgent } from "@warden/sdk";
import { uniqueName } from "@warden/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { e2eStack } from "./lib/stack.ts";

const governance = fileURLToPath(new URL("../../governance", import.meta.url));
const stack = e2eStack("variants");
const { seen } = stack;
const WAIT = { timeout: 60_000, interval: 100 } as const;
let agent: WardenAgent;

beforeAll(async () => {
  await stack.open();
  await stack.start("kill-switch");
  await stack.start("policy", { POLICY_BUNDLE_DIR: governance, POLICY_WATCH: "false" });
  await stack.start("approval", stack.temporalEnv());
  await stack.start("audit", stack.auditEnv());
  agent = await stack.agent("release-pipeline", "production");
}, 240_000);

afterAll(() => stack.close(), 120_000);

const { client, person } = stack;
const approvals = async (sub: string, roles: string[]) =>
  client(approvalV1.ApprovalServiceDefinition, "approval", await person(sub, roles));
const killSwitch = async (sub: string, roles: string[]) =>
  client(killswitchV1.KillSwitchServiceDefinition, "kill-switch", await person(sub, roles));

const minorDeploy = (actionId: string) =>
  ({
    actionId,
    action: "change.deploy",
    changeType: "code",
    environment: "production",
    versionChange: "minor",
    target: "service/payments-api",
    reason: "ship 2.4.0",
  }) as const;

/** The guarded deploy, counting its runs; the outcome settles to a value or the error. */
function guardedDeploy(actionId: string) {
  const runs = { count: 0 };
  const outcome = agent
    .guard(
      minorDeploy(actionId),
      () => {
        runs.count += 1;
        return { deployed: "2.4.0" };
      },
      { timeoutMs: 150_000 },
    )
    .then(
      (value) => ({ ran: true as const, value }),
      (err: unknown) => ({ ran: false as const, err }),
    );
  return { runs, outcome };
}

function eventOf<T>(type: string, actionId: string): Envelope<T> {
  const e = seen.find((x) => x.type === type && x.actionId === actionId);
  if (e === undefined) throw new Error(`no ${type} for ${actionId} yet`);
  return e as Envelope<T>;
}

it("(a) a rejection needs a reason; rejected, the guarded action never runs and the verdict and audit say so", async () => {
  const actionId = uniqueName("reject");
  const { runs, outcome } = guardedDeploy(actionId);
  const alice = await approvals("alice", ["team-lead"]);
  await vi.waitFor(async () => {
    expect((await alice.get({ actionId })).approval?.status).toBe(
      approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING,
    );
  }, WAIT);

  // No reason: refused, on the record, and the approval still pending.
  const unreasoned = alice.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_REJECT });
  await expect(unreasoned).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
  await expect(unreasoned).rejects.toThrow(/reason_required/);
  await vi.waitFor(() => {
    expect(eventOf<ApprovalRefusedData>(events.approvalRefused.type, actionId).data).toMatchObject({
      code: "reason_required",
      actor: { id: "alice" },
    });
  }, WAIT);
  expect((await alice.get({ actionId })).approval?.status).toBe(
    approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING,
  );

  await alice.decide({
    actionId,
    decision: approvalV1.VoteDecision.VOTE_DECISION_REJECT,
    comment: "no change ticket",
  });
  const settled = await outcome;
  expect(settled.ran).toBe(false);
  expect(runs.count).toBe(0);
  const err = settled.ran ? undefined : settled.err;
  expect(err).toBeInstanceOf(ApprovalRefusedError);
  expect((err as ApprovalRefusedError).status).toBe("APPROVAL_STATUS_REJECTED");

  const verdict = await vi.waitFor(
    () => eventOf<ActionVerdictData>(events.actionVerdict.type, actionId),
    WAIT,
  );
  expect(verdict.data).toMatchObject({ verdict: "VERDICT_ABORT", status: "APPROVAL_STATUS_REJECTED" });
  expect(verdict.data.reason).toMatch(/no change ticket/);
  // Nothing was executed: the sentinel is the verdict, published after the workflow resolved.
  expect(seen.some((e) => e.type === events.actionExecuted.type && e.actionId === actionId)).toBe(false);

  // The audit holds the story: the decision, the refused vote, the rejection and the verdict.
  const auditor = client(auditV1.AuditServiceDefinition, "audit", await person("ann", ["auditor"]));
  const records = await vi.waitFor(async () => {
    const { records } = await auditor.query({ filter: { actionId }, pageSize: 100 });
    if (!records.some((r) => r.type === events.actionVerdict.type))
      throw new Error("verdict not audited yet");
    return records;
  }, WAIT);
  const types = records.map((r) => r.type);
  expect(types).toEqual(
    expect.arrayContaining([
      events.decisionMade.type,
      events.approvalRefused.type,
      events.approvalResolved.type,
      events.actionVerdict.type,
    ]),
  );
  expect(types).not.toContain(events.actionExecuted.type);
  expect(records.find((r) => r.type === events.approvalResolved.type)?.outcome).toBe("rejected");
  expect(records.find((r) => r.type === events.actionVerdict.type)?.outcome).toBe("rejected");
}, 240_000);

it("(b) a stop while an approval is pending freezes it (votes refused), two people resume, then it completes", async () => {
  const actionId = uniqueName("frozen");
  const { runs, outcome } = guardedDeploy(actionId);
  const alice = await approvals("alice", ["team-lead"]);
  const status = async () => (await alice.get({ actionId })).approval?.status;
  await vi.waitFor(
    async () => expect(await status()).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING),
    WAIT,
  );

  const olga = await killSwitch("olga", ["on-call-engineer"]);
  const { state } = await olga.activate({
    scopes: [{ kind: killswitchV1.ScopeKind.SCOPE_KIND_GLOBAL, value: "" }],
    reason: "demo variant: stop during an approval",
  });
  const stopEpoch = state?.epoch ?? 0;
  expect(stopEpoch).toBeGreaterThan(0);
  await vi.waitFor(
    async () => expect(await status()).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_FROZEN),
    WAIT,
  );

  // Frozen: a vote is refused, on the record, and nothing ran.
  await expect(
    alice.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE }),
  ).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION });
  await vi.waitFor(() => {
    const refusal = seen.find(
      (e) =>
        e.type === events.approvalRefused.type &&
        e.actionId === actionId &&
        (e.data as ApprovalRefusedData).code === "frozen",
    );
    expect(refusal).toBeDefined();
  }, WAIT);
  expect(runs.count).toBe(0);

  // Resume: an engineering lead, then a security lead.
  const review = { reviewRef: "INC-VARIANT-B", rootCause: "demo", prevention: "demo", reEnableAgents: [] };
  const erin = await killSwitch("erin", ["engineering-lead"]);
  const first = await erin.deactivate({ epoch: stopEpoch, ...review, scopes: [] });
  expect(first.deactivated).toBe(false);
  expect(first.missingRoles).toEqual(["security-lead"]);
  expect(await status()).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_FROZEN); // one of two: still frozen
  const sam = await killSwitch("sam", ["security-lead"]);
  expect((await sam.deactivate({ epoch: stopEpoch, ...review, scopes: [] })).deactivated).toBe(true);
  await vi.waitFor(
    async () => expect(await status()).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING),
    WAIT,
  );

  // It continues where it was: two approvals, and the guarded action runs once.
  await alice.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
  const bob = await approvals("bob", ["on-call-engineer"]);
  await bob.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
  const settled = await outcome;
  expect(settled).toEqual({ ran: true, value: { deployed: "2.4.0" } });
  expect(runs.count).toBe(1);
  const approved = (await alice.get({ actionId })).approval;
  expect(approved?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_APPROVED);
  expect(approved?.consumed).toBe(true);
  expect(Number(approved?.killswitchEpoch)).toBeGreaterThan(stopEpoch); // bound to the lift's epoch
}, 300_000);

// `make demo` run twice on one stack: after a stop and its lift the epoch is no longer 0, and a new
// approval must be bound to the epoch the decision saw (the policy once left it out while clear:
// the approval held epoch 0, and its consume was refused as epoch_changed).
it("(c) after a stop and its lift, a new approval goes through: the decision carries the current epoch", async () => {
  const epoch = (await (await killSwitch("olga", ["on-call-engineer"])).status({})).epoch;
  expect(epoch).toBeGreaterThan(0); // (b) stopped and lifted
  const actionId = uniqueName("after-lift");
  const { runs, outcome } = guardedDeploy(actionId);
  const alice = await approvals("alice", ["team-lead"]);
  await vi.waitFor(
    async () =>
      expect((await alice.get({ actionId })).approval?.status).toBe(
        approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING,
      ),
    WAIT,
  );
  await alice.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
  const bob = await approvals("bob", ["on-call-engineer"]);
  await bob.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
  expect(await outcome).toEqual({ ran: true, value: { deployed: "2.4.0" } });
  expect(runs.count).toBe(1);
  const decision = await vi.waitFor(
    () => eventOf<{ killswitchEpoch?: number }>(events.decisionMade.type, actionId),
    WAIT,
  );
  expect(Number(decision.data.killswitchEpoch)).toBe(epoch);
}, 240_000);
