// The approval service in-process against the run's NATS and Temporal dev server: a real decision
// event starts one workflow (duplicates are no-ops), a bad decision is reported, gRPC Get / Decide /
// ListPending with the voter from the token, every refusal published, and the single use over NATS.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { Client, Connection } from "@temporalio/client";
import { approvalV1, commonV1 } from "@warden/contracts";
import { createGrpcClient, Status } from "@warden/grpc";
import { decodeEnvelope, RpcError, requestRpc } from "@warden/messaging";
import type { Envelope } from "@warden/messaging";
import { testServers } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { approvalWorkflowId } from "../src/workflows/contract.ts";
import { approvalDecision, publishDecision, startApprovalForTest, WAIT } from "./service-support.ts";
import type { ApprovalUnderTest } from "./service-support.ts";

/** The `warden` CLI's entry point, run as a child process. */
const WARDEN_CLI = fileURLToPath(new URL("../../../apps/cli/src/main.ts", import.meta.url));

let on: ApprovalUnderTest;
const seen: { subject: string; envelope: Envelope }[] = [];
let sub: Subscription;
const clients: { close(): void }[] = [];

function collect(nc: NatsConnection, subject: string): Subscription {
  const s = nc.subscribe(subject);
  void (async () => {
    for await (const m of s) seen.push({ subject: m.subject, envelope: decodeEnvelope(m.data) });
  })();
  return s;
}

beforeAll(async () => {
  on = await startApprovalForTest();
  sub = collect(on.nc, on.t.subjects.allEvents);
});

afterAll(async () => {
  for (const c of clients) c.close();
  sub?.unsubscribe();
  await on?.stop();
});

async function grpc(sub: string, roles: string[], type: "human" | "ai_agent" = "human") {
  const token = await on.issuer.issue({ sub, roles, type });
  const c = createGrpcClient(approvalV1.ApprovalServiceDefinition, `127.0.0.1:${on.running.grpcPort}`, {
    token,
  });
  clients.push(c);
  return c.client;
}

async function started(actionId: string) {
  return vi.waitFor(async () => {
    const view = await on.running.service.get(actionId).catch(() => undefined);
    if (view === undefined) throw new Error(`no workflow for ${actionId} yet`);
    return view;
  }, WAIT);
}

const eventsOf = (type: string, actionId: string) =>
  seen.filter((e) => e.envelope.type === type && e.envelope.actionId === actionId);

describe("the starter", () => {
  it("starts approval-<actionId> from a decision event, with the search attributes", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    const view = await started(decision.actionId);
    expect(view).toMatchObject({ status: "pending", agentId: "deploy-bot", requestDigest: "sha256:request" });
    const described = await on.running.client.workflow
      .getHandle(approvalWorkflowId(decision.actionId))
      .describe();
    expect(described.searchAttributes).toMatchObject({
      WardenStatus: ["pending"],
      WardenRisk: ["high"],
      WardenAgent: ["deploy-bot"],
      WardenEnvironment: ["production"],
      WardenEscalationLevel: [0],
    });
  });

  it("a duplicate decision (another envelope, same action) is a no-op: one workflow, one run", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    const first = await started(decision.actionId);
    await publishDecision(on, decision);
    // Sentinel: the consumer runs one message at a time, in stream order.
    const sentinel = approvalDecision();
    await publishDecision(on, sentinel);
    await started(sentinel.actionId);
    const runs: string[] = [];
    for await (const wf of on.running.client.workflow.list({
      query: `WorkflowId = '${approvalWorkflowId(decision.actionId)}'`,
    })) {
      runs.push(wf.runId);
    }
    expect(runs).toHaveLength(1);
    expect((await on.running.service.get(decision.actionId)).createdAt).toBe(first.createdAt);
  });

  it("a decision that cannot become an approval is terminated and reported as warden.invalid.schema", async () => {
    const bad = approvalDecision({ approval: undefined });
    await publishDecision(on, bad);
    await vi.waitFor(() => {
      const reports = seen.filter((e) => e.subject === on.t.subjects.invalid("schema"));
      expect(reports.some((r) => JSON.stringify(r.envelope.data).includes("approval"))).toBe(true);
    }, WAIT);
    await expect(on.running.service.get(bad.actionId)).rejects.toThrow(/no approval/);
  });

  it("a decision whose payload names another agent than its subject is reported as warden.invalid.identity", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision, "someone-else");
    await vi.waitFor(() => {
      expect(seen.some((e) => e.subject === on.t.subjects.invalid("identity"))).toBe(true);
    }, WAIT);
  });
});

describe("gRPC ApprovalService", () => {
  it("Decide by an eligible person approves; the voter comes from the token", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    const bob = await grpc("bob", ["engineering-lead"]);
    const { approval } = await bob.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    });
    expect(approval?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_APPROVED);
    expect(approval?.votes[0]?.voter?.id).toBe("bob");
    const got = await bob.get({ actionId: decision.actionId });
    expect(got.approval?.workflowId).toBe(approvalWorkflowId(decision.actionId));
    // The real workflow's activities publish the events (requested, vote_cast, resolved, verdict).
    await vi.waitFor(() => {
      expect(eventsOf("warden.approval.requested", decision.actionId)).toHaveLength(1);
      expect(eventsOf("warden.approval.vote_cast", decision.actionId)).toHaveLength(1);
      expect(eventsOf("warden.approval.resolved", decision.actionId)[0]?.envelope.data).toMatchObject({
        status: "APPROVAL_STATUS_APPROVED",
        requestDigest: "sha256:request",
        bundleDigest: "sha256:bundle",
      });
      const verdict = eventsOf("warden.action.verdict", decision.actionId)[0];
      expect(verdict?.subject).toBe(on.t.subjects.actionVerdict("proceed", "deploy-bot"));
      expect(verdict?.envelope.data).toMatchObject({ verdict: "VERDICT_PROCEED", agentId: "deploy-bot" });
    }, WAIT);
  });

  it("Get fills the request, the requirement, the matched rules, what is still needed and the time left", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    const bob = await grpc("bob", ["engineering-lead"]);
    const { approval } = await bob.get({ actionId: decision.actionId });
    expect(approval?.request).toMatchObject({ action: "deploy", agentId: "deploy-bot" });
    expect(approval?.request?.requestedBy?.id).toBe("alice");
    expect(approval?.requirement).toMatchObject({
      workflow: "production_deployment",
      minApprovers: 1,
      eligibleRoles: ["engineering-lead"],
    });
    expect(approval?.matchedRules.map((r) => r.ruleId)).toEqual(["prod.deploy"]);
    expect(approval?.riskLevel).toBe(commonV1.RiskLevel.RISK_LEVEL_HIGH);
    expect(approval?.votesNeeded).toBe(1);
    // The first level times out after 3600 s; some of it has passed.
    expect(approval?.secondsToEscalation).toBeGreaterThan(3500);
    expect(approval?.secondsToEscalation).toBeLessThanOrEqual(3600);
  });

  it("break-glass through the proto: refused without a break-glass role, approves alone for a cto with a reason", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    const bob = await grpc("bob", ["engineering-lead"]);
    await expect(
      bob.decide({
        actionId: decision.actionId,
        decision: approvalV1.VoteDecision.VOTE_DECISION_BREAK_GLASS,
        comment: "outage",
      }),
    ).rejects.toMatchObject({ code: Status.PERMISSION_DENIED });
    const cto = await grpc("dana", ["cto"]);
    await expect(
      cto.decide({
        actionId: decision.actionId,
        decision: approvalV1.VoteDecision.VOTE_DECISION_BREAK_GLASS,
      }),
    ).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
    const { approval } = await cto.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_BREAK_GLASS,
      comment: "payments outage, fix must ship",
    });
    expect(approval?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_APPROVED);
    expect(approval?.breakGlass).toBe(true);
    expect(approval?.votes[0]?.decision).toBe(approvalV1.VoteDecision.VOTE_DECISION_BREAK_GLASS);
  });

  it("self-approval is PERMISSION_DENIED with the validator's message, and published as ApprovalRefused", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    const alice = await grpc("alice", ["engineering-lead"]);
    await expect(
      alice.decide({ actionId: decision.actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE }),
    ).rejects.toMatchObject({
      code: Status.PERMISSION_DENIED,
      details: expect.stringMatching(/self_approval/) as unknown,
    });
    await vi.waitFor(() => {
      const refused = eventsOf("warden.approval.refused", decision.actionId);
      expect(refused[0]?.envelope.data).toMatchObject({
        attempt: "vote",
        code: "self_approval",
        actor: { id: "alice" },
        decision: "VOTE_DECISION_APPROVE",
      });
    }, WAIT);
  });

  it("a vote after resolution is FAILED_PRECONDITION, published too", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    const bob = await grpc("bob", ["engineering-lead"]);
    await bob.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    });
    const carol = await grpc("carol", ["engineering-lead"]);
    await expect(
      carol.decide({
        actionId: decision.actionId,
        decision: approvalV1.VoteDecision.VOTE_DECISION_REJECT,
        comment: "no",
      }),
    ).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION });
    await vi.waitFor(() => {
      expect(eventsOf("warden.approval.refused", decision.actionId)[0]?.envelope.data).toMatchObject({
        code: "resolved",
        actor: { id: "carol" },
      });
    }, WAIT);
  });

  // A rejected (or blocked) approval's workflow has closed: Temporal answers the update NOT_FOUND,
  // and the vote must still be refused as "resolved" with the approval's agent, not "not_found".
  it("a vote after the workflow closed (rejected) is FAILED_PRECONDITION resolved, published with the agent", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    const bob = await grpc("bob", ["engineering-lead"]);
    await bob.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_REJECT,
      comment: "no ticket",
    });
    const connection = await Connection.connect({ address: testServers().temporalAddress });
    try {
      const handle = new Client({ connection }).workflow.getHandle(approvalWorkflowId(decision.actionId));
      const closed = await vi.waitFor(async () => {
        const d = await handle.describe();
        if (d.status.name === "RUNNING") throw new Error("workflow still running");
        return d.status.name;
      }, WAIT);
      expect(closed).toBe("COMPLETED");
    } finally {
      await connection.close();
    }
    const carol = await grpc("carol", ["engineering-lead"]);
    const late = carol.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    });
    await expect(late).rejects.toMatchObject({ code: Status.FAILED_PRECONDITION });
    await expect(late).rejects.toThrow(/rejected/);
    await vi.waitFor(() => {
      expect(eventsOf("warden.approval.refused", decision.actionId)[0]?.envelope.data).toMatchObject({
        code: "resolved",
        actor: { id: "carol" },
        agentId: decision.agentId,
      });
    }, WAIT);
  });

  it("Get of an unknown action is NOT_FOUND; Decide without a decision is INVALID_ARGUMENT", async () => {
    const bob = await grpc("bob", ["engineering-lead"]);
    await expect(bob.get({ actionId: "never-seen" })).rejects.toMatchObject({ code: Status.NOT_FOUND });
    await expect(bob.decide({ actionId: "never-seen" })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
      details: expect.stringMatching(/decision/) as unknown,
    });
  });

  it("ListPending finds open approvals by agent through the search attributes, paging", async () => {
    const agentId = `lister-${Date.now()}`;
    const decisions = [
      approvalDecision({ agentId }),
      approvalDecision({ agentId }),
      approvalDecision({ agentId }),
    ];
    for (const d of decisions) {
      await publishDecision(on, events(d, agentId));
      await started(d.actionId);
    }
    const bob = await grpc("bob", ["engineering-lead"]);
    const all = await vi.waitFor(async () => {
      const ids: string[] = [];
      let pageToken = "";
      do {
        const page = await bob.listPending({ agentId, pageSize: 2, pageToken });
        ids.push(...page.approvals.map((a) => a.actionId));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      expect(ids.sort()).toEqual(decisions.map((d) => d.actionId).sort());
      return ids;
    }, WAIT);
    expect(all).toHaveLength(3);
    const none = await bob.listPending({ agentId: "nobody-at-all" });
    expect(none.approvals).toEqual([]);
  });

  it("each ListPending row carries what Get does: request, requirement, rules, risk, time left", async () => {
    const agentId = `rows-${Date.now()}`;
    const decisions = [approvalDecision({ agentId }), approvalDecision({ agentId })];
    for (const d of decisions) {
      await publishDecision(on, events(d, agentId));
      await started(d.actionId);
    }
    const [first, second] = decisions as [(typeof decisions)[0], (typeof decisions)[0]];
    const lead = await grpc("bob", ["engineering-lead"]);
    const rows = await vi.waitFor(async () => {
      const page = await lead.listPending({ agentId, pageSize: 10 });
      expect(page.approvals.map((a) => a.actionId).sort()).toEqual([first.actionId, second.actionId].sort());
      return page.approvals;
    }, WAIT);
    for (const row of rows) {
      const { approval: got } = await lead.get({ actionId: row.actionId });
      // The same view as Get, but for the seconds left, which move between the two calls.
      expect({ ...row, secondsToEscalation: 0 }).toEqual({ ...got, secondsToEscalation: 0 });
      expect(row.request).toMatchObject({ action: "deploy", agentId });
      expect(row.request?.requestedBy?.id).toBe("alice");
      expect(row.requirement).toMatchObject({
        workflow: "production_deployment",
        minApprovers: 1,
        eligibleRoles: ["engineering-lead"],
      });
      expect(row.matchedRules.map((r) => r.ruleId)).toEqual(["prod.deploy"]);
      expect(row.riskLevel).toBe(commonV1.RiskLevel.RISK_LEVEL_HIGH);
      expect(row.votesNeeded).toBe(1);
      expect(row.levelDeadline).toBeInstanceOf(Date);
      expect(row.secondsToEscalation).toBeGreaterThan(3500);
      expect(row.secondsToEscalation).toBeLessThanOrEqual(3600);
    }
    // The CLI's table shows the rows' request, risk and quorum (all "—" with the thin rows of before).
    const token = await on.issuer.issue({ sub: "bob", roles: ["engineering-lead"], type: "human" });
    const cli = await promisify(execFile)(
      process.execPath,
      [WARDEN_CLI, "approvals", "list", "--agent", agentId],
      {
        env: {
          PATH: process.env.PATH ?? "",
          WARDEN_APPROVAL_ADDR: `127.0.0.1:${on.running.grpcPort}`,
          WARDEN_TOKEN: token,
        },
      },
    );
    for (const d of decisions)
      expect(cli.stdout).toMatch(
        new RegExp(`${d.actionId} .*pending.*${agentId}.*deploy.*production.*high.*0/1.*engineering-lead`),
      );
    // A resolved approval leaves the list (its row is dropped even while visibility still lists it).
    await lead.decide({ actionId: first.actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE });
    const after = await lead.listPending({ agentId, pageSize: 10 });
    expect(after.approvals.map((a) => a.actionId)).toEqual([second.actionId]);
  });
});

/** A decision re-targeted at another agent (payload and request agree). */
function events(d: ReturnType<typeof approvalDecision>, agentId: string) {
  return { ...d, agentId, request: d.request === undefined ? undefined : { ...d.request, agentId } };
}

describe("consume over NATS (wardenrpc.approval.consume.<agent>)", () => {
  const consume = async (agent: string, body: object) =>
    requestRpc(on.nc, on.t.rpc.approvalConsume(agent), new TextEncoder().encode(JSON.stringify(body)), {
      timeoutMs: 10_000,
    });

  it("an approved action is consumed once; the second attempt is refused and published", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    const bob = await grpc("bob", ["engineering-lead"]);
    await bob.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    });
    const body = { actionId: decision.actionId, requestDigest: "sha256:request" };
    expect(await consume("deploy-bot", body)).toMatchObject({ consumed: true });
    expect(await consume("deploy-bot", body)).toMatchObject({ consumed: false, refusal: "already_consumed" });
    await vi.waitFor(() => {
      expect(eventsOf("warden.approval.refused", decision.actionId)[0]?.envelope.data).toMatchObject({
        attempt: "consume",
        code: "already_consumed",
        actor: { id: "deploy-bot", type: "ACTOR_TYPE_AI_AGENT" },
      });
    }, WAIT);
  });

  it("the identity is the subject's token: another agent is refused (wrong_agent)", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    const bob = await grpc("bob", ["engineering-lead"]);
    await bob.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    });
    const answer = await consume("other-bot", {
      actionId: decision.actionId,
      requestDigest: "sha256:request",
    });
    expect(answer).toMatchObject({ consumed: false, refusal: "wrong_agent" });
    // Control: the rightful agent still can.
    expect(
      await consume("deploy-bot", { action_id: decision.actionId, request_digest: "sha256:request" }),
    ).toMatchObject({ consumed: true });
  });

  it("an unknown action is not_found; a body without the digest is invalid, naming the field", async () => {
    expect(await consume("deploy-bot", { actionId: "nope", requestDigest: "sha256:x" })).toMatchObject({
      consumed: false,
      refusal: "not_found",
    });
    await expect(consume("deploy-bot", { actionId: "nope" })).rejects.toSatisfy(
      (err) => err instanceof RpcError && err.issues.some((i) => i.field === "requestDigest"),
    );
  });
});

describe("consume: the payload's agentId is re-checked against the subject's", () => {
  const consume = async (agent: string, body: object) =>
    requestRpc(on.nc, on.t.rpc.approvalConsume(agent), new TextEncoder().encode(JSON.stringify(body)), {
      timeoutMs: 10_000,
    });

  it("a payload naming another agent is refused (identity_mismatch) and published; naming itself consumes", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    const bob = await grpc("bob", ["engineering-lead"]);
    await bob.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    });
    const body = { actionId: decision.actionId, requestDigest: "sha256:request" };
    const refused = await consume("deploy-bot", { ...body, agentId: "other-bot" });
    expect(refused).toMatchObject({ consumed: false, refusal: "identity_mismatch" });
    expect((refused as { message: string }).message).toMatch(/agentId "other-bot" is not the identity/);
    await vi.waitFor(() => {
      expect(eventsOf("warden.approval.refused", decision.actionId)[0]?.envelope.data).toMatchObject({
        attempt: "consume",
        code: "identity_mismatch",
        agentId: "deploy-bot",
        actor: { id: "deploy-bot", type: "ACTOR_TYPE_AI_AGENT" },
      });
    }, WAIT);
    // Control: the same request naming the subject's agent consumes (the refusal consumed nothing).
    expect(await consume("deploy-bot", { ...body, agent_id: "deploy-bot" })).toMatchObject({
      consumed: true,
    });
  });
});

describe("verdict read-back over NATS (wardenrpc.approval.verdict.<agent>)", () => {
  const verdict = async (agent: string, body: object) =>
    requestRpc(on.nc, on.t.rpc.approvalVerdict(agent), new TextEncoder().encode(JSON.stringify(body)), {
      timeoutMs: 10_000,
    });

  it("answers pending while open, then the verdict; another agent gets not_found, like an unknown action", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    expect(await verdict("deploy-bot", { actionId: decision.actionId })).toMatchObject({ state: "pending" });
    const bob = await grpc("bob", ["engineering-lead"]);
    await bob.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    });
    const answer = await verdict("deploy-bot", { action_id: decision.actionId });
    expect(answer).toMatchObject({
      state: "decided",
      verdict: {
        actionId: decision.actionId,
        agentId: "deploy-bot",
        verdict: "VERDICT_PROCEED",
        status: "APPROVAL_STATUS_APPROVED",
        requestDigest: "sha256:request",
      },
    });
    // The same action asked on another agent's subject is answered as if it did not exist.
    const foreign = await verdict("other-bot", { actionId: decision.actionId });
    expect(foreign).toEqual(
      await verdict("other-bot", { actionId: "no-such-action" }).then((a) => ({
        ...(a as object),
        message: `no approval of other-bot for action ${decision.actionId}`,
      })),
    );
    expect(foreign).toMatchObject({ state: "not_found" });
    expect(foreign).not.toHaveProperty("verdict");
  });

  it("a payload agentId other than the subject's is refused with identity_mismatch and published", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    await started(decision.actionId);
    await expect(
      verdict("deploy-bot", { actionId: decision.actionId, agentId: "other-bot" }),
    ).rejects.toSatisfy(
      (err) =>
        err instanceof RpcError &&
        err.code === "identity_mismatch" &&
        err.issues.some((i) => i.field === "agentId"),
    );
    await vi.waitFor(() => {
      expect(eventsOf("warden.approval.refused", decision.actionId)[0]?.envelope.data).toMatchObject({
        attempt: "verdict",
        code: "identity_mismatch",
      });
    }, WAIT);
    // Control: naming itself is answered.
    expect(await verdict("deploy-bot", { actionId: decision.actionId, agentId: "deploy-bot" })).toMatchObject(
      { state: "pending" },
    );
    await expect(verdict("deploy-bot", {})).rejects.toSatisfy(
      (err) => err instanceof RpcError && err.issues.some((i) => i.field === "actionId"),
    );
  });
});
