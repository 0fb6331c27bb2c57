// The Activities contract (STYLE.md item 17): one suite that the recording fake (a unit test) and
// the real activities (NATS events + notifier, in the service's integration tests) both pass.
// `make` returns fresh activities and a way to read back, oldest first, which activity reported
// which action.
import { describe, expect, it } from "vitest";
import type { Activities, ActivityName } from "../activities/activities.ts";
import { applyVote, createApprovalState, toView } from "../domain/approval-state.ts";
import type { ApprovalInput } from "../domain/approval-types.ts";

export interface ActivitiesUnderTest {
  readonly activities: Activities;
  readonly recorded: () => Promise<{ name: ActivityName; actionId: string }[]>;
}

export function contractInput(actionId: string): ApprovalInput {
  return {
    actionId,
    agentId: "deploy-bot",
    requestedBy: { type: "human", id: "carol" },
    requestDigest: "sha256:request",
    bundleDigest: "sha256:bundle",
    killswitchEpoch: 1,
    risk: "high",
    environment: "production",
    definition: {
      workflow: "production_deployment",
      minApprovers: 1,
      eligibleRoles: ["team-lead"],
      requiredRoles: [],
      timeoutSeconds: 1800,
      escalation: [{ roles: ["engineering-lead"], timeoutSeconds: 1800 }],
      aiMayRecommend: true,
      notify: ["slack:#deploy-approvals"],
    },
    decision: { actionId, effect: "EFFECT_APPROVAL_REQUIRED" },
    breakGlassRoles: ["incident-commander"],
    breakGlassValiditySeconds: 300,
    approvalValiditySeconds: 3600,
    createdAt: "2026-12-03T12:00:00.000Z",
  };
}

export function describeActivitiesContract(name: string, make: () => Promise<ActivitiesUnderTest>): void {
  describe(`Activities contract: ${name}`, () => {
    it("accepts each event of one approval's life and reports them in order", async () => {
      const { activities: a, recorded } = await make();
      const input = contractInput("contract-1");
      const state = createApprovalState(input, Date.parse(input.createdAt));
      const requested = toView(state);
      await a.publishRequested({ approval: requested, input });
      await a.notify({
        approval: requested,
        kind: "requested",
        channels: input.definition.notify,
        roles: ["team-lead"],
      });
      const [cast] = applyVote(
        state,
        { voter: { type: "human", id: "ann", roles: ["team-lead"] }, decision: "approve" },
        1,
      );
      const approved = toView(state);
      if (cast?.kind !== "vote_cast") throw new Error("expected a vote");
      await a.publishVoteCast({ approval: approved, vote: cast.vote, recommendation: false });
      await a.publishResolved({ approval: approved });
      await a.publishVerdict({ approval: approved, outcome: "approved" });
      await a.publishRefusal({
        approval: approved,
        operation: "consume",
        code: "digest_mismatch",
        message: "requestDigest is sha256:x, but the approval is for sha256:request",
        actor: { type: "ai_agent", id: "deploy-bot" },
      });
      await a.publishEscalated({
        approval: approved,
        fromLevel: 0,
        toLevel: 1,
        cause: "timeout",
        roles: ["engineering-lead"],
      });
      expect((await recorded()).filter((r) => r.actionId === "contract-1").map((r) => r.name)).toEqual([
        "publishRequested",
        "notify",
        "publishVoteCast",
        "publishResolved",
        "publishVerdict",
        "publishRefusal",
        "publishEscalated",
      ]);
    });

    it("resolves a retried call (activities run at least once)", async () => {
      const { activities: a } = await make();
      const input = contractInput("contract-2");
      const approval = toView(createApprovalState(input, 0));
      await a.publishRequested({ approval, input });
      await expect(a.publishRequested({ approval, input })).resolves.toBeUndefined();
    });
  });
}
