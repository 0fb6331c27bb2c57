import { describe, expect, it } from "vitest";
import {
  createFixedStopState,
  createInMemoryEvents,
  createInMemoryWorkflows,
} from "../adapters/fakes/in-memory-ports.ts";
import type { ApprovalInput } from "../workflows/contract.ts";
import { createApprovalService, LIST_QUERY_CONCURRENCY } from "./approval-service.ts";
import { VoteRefusedError } from "./ports.ts";

function input(actionId: string, agentId = "deploy-bot", environment = "production"): ApprovalInput {
  return {
    actionId,
    agentId,
    requestDigest: "sha256:r",
    bundleDigest: "sha256:b",
    killswitchEpoch: 2,
    risk: "high",
    environment,
    definition: {
      workflow: "w",
      minApprovers: 1,
      eligibleRoles: ["lead"],
      requiredRoles: [],
      timeoutSeconds: 60,
      escalation: [],
      aiMayRecommend: false,
      notify: [],
    },
    decision: {},
    breakGlassRoles: [],
    breakGlassValiditySeconds: 60,
    approvalValiditySeconds: 60,
    createdAt: "2026-12-03T10:00:00Z",
  };
}

function setup(bundleDigest?: string) {
  const workflows = createInMemoryWorkflows();
  const events = createInMemoryEvents();
  const stop = createFixedStopState({ kind: "clear", epoch: 2 });
  const service = createApprovalService({ workflows, events, stop, bundle: { digest: () => bundleDigest } });
  return { workflows, events, stop, service };
}

describe("the approval service", () => {
  it("a start while a covering stop is active tells the new workflow at once; a non-covering one does not", async () => {
    const { workflows, stop, service } = setup();
    stop.set({ kind: "active", epoch: 3, scopes: [{ kind: "agent", value: "deploy-bot" }] });
    await service.start(input("a1"));
    await service.start(input("a2", "other-bot"));
    expect(workflows.signals).toEqual([
      { actionId: "a1", signal: { state: "stopped", epoch: 3, reason: "emergency stop (agent:deploy-bot)" } },
    ]);
  });

  it("forwards each stop change once to every open approval, each getting its own state", async () => {
    const { workflows, stop, service } = setup();
    await service.start(input("a1"));
    await service.start(input("a2", "other-bot", "staging"));
    expect(await service.forwardStop({ force: true })).toBe(2);
    stop.set({ kind: "active", epoch: 3, scopes: [{ kind: "environment", value: "production" }] });
    expect(await service.forwardStop()).toBe(2);
    expect(await service.forwardStop()).toBe(0); // no change, nothing sent
    expect(workflows.signals.slice(2).map((s) => [s.actionId, s.signal.state])).toEqual([
      ["a1", "stopped"],
      ["a2", "clear"],
    ]);
  });

  it("consume fails closed while the stop state is unknown, and publishes the refusal", async () => {
    const { workflows, events, stop, service } = setup("sha256:b");
    await service.start(input("a1"));
    stop.set({ kind: "unknown", reason: "lease ran out" });
    const answer = await service.consume("deploy-bot", "a1", "sha256:r");
    expect(answer).toMatchObject({ consumed: false, refusal: "frozen" });
    expect(workflows.consumes).toEqual([]);
    expect(events.refusals[0]).toMatchObject({
      attempt: "consume",
      code: "frozen",
      actor: { id: "deploy-bot" },
    });
  });

  it("consume sends the active bundle digest and the current epoch; without a known bundle, the decision's", async () => {
    const known = setup("sha256:new");
    await known.service.start(input("a1"));
    await known.service.consume("deploy-bot", "a1", "sha256:r");
    expect(known.workflows.consumes[0]?.input).toEqual({
      agentId: "deploy-bot",
      requestDigest: "sha256:r",
      bundleDigest: "sha256:new",
      killswitchEpoch: 2,
    });
    const unknown = setup(undefined);
    await unknown.service.start(input("a1"));
    await unknown.service.consume("deploy-bot", "a1", "sha256:r");
    expect(unknown.workflows.consumes[0]?.input.bundleDigest).toBe("sha256:b");
  });

  it("a refused vote is published with the validator's code, then thrown", async () => {
    const { workflows, events, service } = setup();
    await service.start(input("a1"));
    workflows.refuseNextVote("a1", "self_approval", "alice requested it");
    await expect(
      service.decide({ type: "human", id: "alice", roles: ["lead"] }, "a1", { decision: "approve" }),
    ).rejects.toBeInstanceOf(VoteRefusedError);
    expect(events.refusals).toEqual([
      {
        actionId: "a1",
        agentId: "deploy-bot",
        attempt: "vote",
        actor: { type: "human", id: "alice", roles: ["lead"] },
        code: "self_approval",
        message: "alice requested it",
        decision: "approve",
      },
    ]);
  });

  it("ListPending mine keeps what the caller may vote on now", async () => {
    const { service } = setup();
    await service.start(input("a1"));
    const lead = await service.listPending(
      { type: "human", id: "bob", roles: ["lead"] },
      { mine: true },
      { size: 10 },
    );
    const other = await service.listPending(
      { type: "human", id: "eve", roles: ["x"] },
      { mine: true },
      { size: 10 },
    );
    expect(lead.approvals.map((a) => a.view.actionId)).toEqual(["a1"]);
    expect(other.approvals).toEqual([]);
  });

  it("ListPending rows carry what Get does (view and input), keeping the page token", async () => {
    const { service } = setup();
    for (const id of ["a1", "a2", "a3"]) await service.start(input(id));
    const caller = { type: "human" as const, id: "bob", roles: ["lead"] };
    const first = await service.listPending(caller, { mine: false }, { size: 2 });
    expect(first.approvals).toEqual([await service.details("a1"), await service.details("a2")]);
    expect(first.approvals[0]?.input).toEqual(input("a1"));
    const second = await service.listPending(
      caller,
      { mine: false },
      { size: 2, token: first.nextPageToken },
    );
    expect(second.approvals.map((a) => a.view.actionId)).toEqual(["a3"]);
    expect(second.nextPageToken).toBeUndefined();
  });

  it(`ListPending queries at most ${LIST_QUERY_CONCURRENCY} workflows at once, and every row`, async () => {
    const { workflows, events, stop } = setup();
    let inFlight = 0;
    let most = 0;
    const queried: string[] = [];
    /** Each query stays open for a few macrotasks, so queries overlap as far as the bound lets them. */
    const counted =
      <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
          return await fn(...args);
        } finally {
          inFlight--;
        }
      };
    const service = createApprovalService({
      workflows: {
        ...workflows,
        view: counted(async (id: string) => {
          queried.push(id);
          return workflows.view(id);
        }),
        input: counted((id: string) => workflows.input(id)),
      },
      events,
      stop,
      bundle: { digest: () => undefined },
    });
    const ids = Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, "0")}`);
    for (const id of ids) await service.start(input(id));
    const page = await service.listPending(
      { type: "human", id: "bob", roles: ["lead"] },
      { mine: false },
      { size: 50 },
    );
    expect(page.approvals.map((a) => a.view.actionId)).toEqual(ids);
    expect(page.approvals.every((a) => a.input?.actionId === a.view.actionId)).toBe(true);
    expect(queried.sort()).toEqual(ids);
    // Control: the bound is reached (the queries did overlap), and never passed.
    expect(most).toBe(LIST_QUERY_CONCURRENCY);
  });
});
