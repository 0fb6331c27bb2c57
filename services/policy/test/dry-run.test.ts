// "Who asks is who is decided for" (DESIGN.md §11, ADR 0009) against a real NATS server: over gRPC a
// caller other than the agent needs a dry-run role and gets a dry run — answered, recorded on
// warden.decision.dry_run.<outcome>.<agent> naming the caller, never counted toward the agent's
// usage, never on the approval subject; a role-less caller gets PERMISSION_DENIED naming the role;
// the agent's own requests (its token, its NATS subject) stay real decisions and are counted.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { commonV1, policyV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import type { DevIssuer, IssueOptions } from "@warden/identity";
import { decodeEnvelope, events, requestRpc } from "@warden/messaging";
import type { ActionRequestData, DecisionData, Envelope, Topology } from "@warden/messaging";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningPolicyService } from "../src/start-policy-service.ts";
import { awaitConsumerBarrier, requestsInLastMinute, startPolicyForTest } from "./support.ts";
import type { PolicyUnderTest } from "./support.ts";

const PERMISSION_DENIED = 7;
const ADVISOR = "financial-advisor"; // maxRequestsPerMinute: 60 in the example bundle

let policy: PolicyUnderTest;
let running: RunningPolicyService;
let nc: NatsConnection;
let t: Topology;
let issuer: DevIssuer;
let sub: Subscription;
let approvalSub: Subscription;
/** Every decision event of the namespace, in arrival order, with its subject. */
const seen: { subject: string; envelope: Envelope<DecisionData> }[] = [];
/** Action ids seen on the approval service's subject (warden.decision.approval_required.>). */
const approvalSubject: string[] = [];

let seq = 0;
function advisorRequest(overrides: Partial<ActionRequestData> = {}): ActionRequestData {
  seq += 1;
  return { actionId: `dry-${seq}-${Date.now()}`, agentId: ADVISOR, action: "portfolio.read", ...overrides };
}

function decisionOf(actionId: string): { subject: string; envelope: Envelope<DecisionData> } | undefined {
  return seen.find((s) => s.envelope.actionId === actionId);
}

async function recorded(actionId: string): Promise<{ subject: string; envelope: Envelope<DecisionData> }> {
  await expect.poll(() => decisionOf(actionId), { timeout: 10_000, interval: 20 }).toBeDefined();
  const found = decisionOf(actionId);
  if (found === undefined) throw new Error(`no decision recorded for ${actionId}`);
  return found;
}

async function grpcAs(claims: IssueOptions) {
  const token = await issuer.issue(claims);
  return createGrpcClient(policyV1.PolicyServiceDefinition, `127.0.0.1:${running.grpcPort}`, { token });
}

/** The agent's own request over NATS request-reply (its identity is the subject's last token). */
async function ownRpc(body: ActionRequestData): Promise<DecisionData> {
  return (await requestRpc(
    nc,
    t.rpc.policyEvaluate(body.agentId),
    new TextEncoder().encode(JSON.stringify(body)),
  )) as DecisionData;
}

/** The replica's count of the advisor's requests in the last minute, final (consumer barrier first). */
async function advisorCount(): Promise<number | undefined> {
  await awaitConsumerBarrier(nc, t, running);
  return requestsInLastMinute(running, advisorRequest());
}

beforeAll(async () => {
  policy = await startPolicyForTest();
  ({ running, nc, t, issuer } = policy);
  sub = nc.subscribe(t.subjects.decisionAll, {
    callback: (_err, msg) => {
      const envelope = decodeEnvelope(msg.data);
      if (envelope.type === events.decisionMade.type)
        seen.push({ subject: msg.subject, envelope: envelope as Envelope<DecisionData> });
    },
  });
  approvalSub = nc.subscribe(t.subjects.decisionApprovalRequired, {
    callback: (_err, msg) => {
      approvalSubject.push(decodeEnvelope(msg.data).actionId ?? "");
    },
  });
  await nc.flush();
}, 60_000);

afterAll(async () => {
  sub?.unsubscribe();
  approvalSub?.unsubscribe();
  await policy?.stop();
});

describe("Evaluate on an agent's behalf", () => {
  it("refuses a role-less human and another agent with PERMISSION_DENIED naming the role, and decides nothing", async () => {
    const refused = advisorRequest();
    const nobody = await grpcAs({ sub: "nobody", type: "human", roles: [] });
    const rogue = await grpcAs({ sub: "rogue-bot", type: "ai_agent" });
    try {
      for (const c of [nobody, rogue]) {
        await expect(
          c.client.evaluate({ request: commonV1.ActionRequest.fromJSON(refused) }),
        ).rejects.toMatchObject({
          code: PERMISSION_DENIED,
          details: expect.stringMatching(/policy-author or security-lead/) as string,
        });
      }
      await expect(
        nobody.client.explain({ request: commonV1.ActionRequest.fromJSON(refused) }),
      ).rejects.toMatchObject({
        code: PERMISSION_DENIED,
        details: expect.stringContaining("auditor") as string,
      });
      await expect(nobody.client.getBundle({})).rejects.toMatchObject({
        code: PERMISSION_DENIED,
        details: expect.stringContaining("auditor") as string,
      });
    } finally {
      nobody.close();
      rogue.close();
    }
    // Sentinel: the agent's own request, decided after the refusals, is recorded; nothing before it
    // was recorded for the refused action.
    const sentinel = advisorRequest();
    expect((await ownRpc(sentinel)).outcome).toBe("OUTCOME_ALLOW");
    await recorded(sentinel.actionId);
    expect(decisionOf(refused.actionId)).toBeUndefined();
  });

  it("answers 61 dry runs by a human with the role, records each naming the caller, counts none; the agent's own requests stay real and counted", async () => {
    const before = await advisorCount();
    expect(before).toBeDefined();
    const alice = await grpcAs({ sub: "alice", type: "human", roles: ["policy-author"] });
    const dryRuns: ActionRequestData[] = [];
    try {
      for (let i = 0; i < 61; i++) {
        const body = advisorRequest();
        dryRuns.push(body);
        const { decision } = await alice.client.evaluate({ request: commonV1.ActionRequest.fromJSON(body) });
        expect(decision, `dry run ${i + 1}`).toMatchObject({
          outcome: policyV1.Outcome.OUTCOME_ALLOW,
          dryRun: true,
          dryRunBy: { id: "alice", roles: ["policy-author"] },
        });
      }
    } finally {
      alice.close();
    }
    for (const body of dryRuns) {
      const { subject, envelope } = await recorded(body.actionId);
      expect(subject).toBe(t.subjects.decisionDryRun("allow", ADVISOR));
      expect(envelope.data).toMatchObject({
        dryRun: true,
        dryRunBy: { type: "ACTOR_TYPE_HUMAN", id: "alice", roles: ["policy-author"] },
      });
      // The audit files the event under who asked.
      expect(envelope.actor).toEqual({ type: "human", id: "alice", roles: ["policy-author"] });
    }
    // The control: none of them counted, and the agent's own requests are still allowed and counted.
    expect(await advisorCount()).toBe(before);

    const own = await grpcAs({ sub: ADVISOR, type: "ai_agent" });
    const byToken = advisorRequest();
    try {
      const { decision } = await own.client.evaluate({ request: commonV1.ActionRequest.fromJSON(byToken) });
      expect(decision?.outcome).toBe(policyV1.Outcome.OUTCOME_ALLOW);
      expect(decision?.dryRun).toBe(false);
      expect(decision?.dryRunBy).toBeUndefined();
    } finally {
      own.close();
    }
    const byNats = advisorRequest();
    expect(await ownRpc(byNats)).toMatchObject({ outcome: "OUTCOME_ALLOW" });
    for (const body of [byToken, byNats]) {
      const { subject, envelope } = await recorded(body.actionId);
      expect(subject).toBe(t.subjects.decision("allow", ADVISOR));
      expect(envelope.data.dryRun).toBeUndefined();
      expect(envelope.actor).toMatchObject({ type: "service", id: "policy" });
    }
    expect(await advisorCount()).toBe((before ?? 0) + 2);
  });

  it("never puts an approval_required dry run on the approval subject", async () => {
    const production = (): ActionRequestData => {
      seq += 1;
      return {
        actionId: `dry-approval-${seq}-${Date.now()}`,
        agentId: "release-pipeline",
        action: "change.deploy",
        changeType: "CHANGE_TYPE_CODE",
        environment: "ENVIRONMENT_PRODUCTION",
        versionChange: "VERSION_CHANGE_PATCH",
      };
    };
    const dryRun = production();
    const lead = await grpcAs({ sub: "sam", type: "human", roles: ["security-lead"] });
    try {
      const { decision } = await lead.client.evaluate({ request: commonV1.ActionRequest.fromJSON(dryRun) });
      expect(decision).toMatchObject({ outcome: policyV1.Outcome.OUTCOME_APPROVAL_REQUIRED, dryRun: true });
    } finally {
      lead.close();
    }
    expect((await recorded(dryRun.actionId)).subject).toBe(
      t.subjects.decisionDryRun("approval_required", "release-pipeline"),
    );
    // Sentinel: the pipeline's own request for the same change does reach the approval subject.
    const real = production();
    expect((await ownRpc(real)).outcome).toBe("OUTCOME_APPROVAL_REQUIRED");
    await expect.poll(() => approvalSubject.includes(real.actionId), { timeout: 10_000 }).toBe(true);
    expect(approvalSubject).not.toContain(dryRun.actionId);
  });
});

describe("Explain", () => {
  it("records every explanation as a dry run naming the caller, the agent itself included, and counts none", async () => {
    const before = await advisorCount();
    const auditor = await grpcAs({ sub: "ann", type: "human", roles: ["auditor"] });
    const own = await grpcAs({ sub: ADVISOR, type: "ai_agent" });
    const byAuditor = advisorRequest();
    const byAgent = advisorRequest();
    try {
      const explained = await auditor.client.explain({ request: commonV1.ActionRequest.fromJSON(byAuditor) });
      expect(explained.decision).toMatchObject({ dryRun: true, dryRunBy: { id: "ann" } });
      expect(explained.rules.length).toBeGreaterThan(0);
      const self = await own.client.explain({ request: commonV1.ActionRequest.fromJSON(byAgent) });
      expect(self.decision).toMatchObject({ dryRun: true, dryRunBy: { id: ADVISOR } });
      // A bundle-read role (auditor) and an agent token may read the bundle status.
      expect((await auditor.client.getBundle({})).bundle?.digest).toBe(running.service.status().digest);
      expect((await own.client.getBundle({})).bundle?.digest).toBe(running.service.status().digest);
    } finally {
      auditor.close();
      own.close();
    }
    for (const [body, by] of [
      [byAuditor, { type: "ACTOR_TYPE_HUMAN", id: "ann" }],
      [byAgent, { type: "ACTOR_TYPE_AI_AGENT", id: ADVISOR }],
    ] as const) {
      const { subject, envelope } = await recorded(body.actionId);
      expect(subject).toBe(t.subjects.decisionDryRun("allow", ADVISOR));
      expect(envelope.data).toMatchObject({ dryRun: true, dryRunBy: by });
      expect(envelope.actor.id).toBe(by.id);
    }
    expect(await advisorCount()).toBe(before);
  });
});
