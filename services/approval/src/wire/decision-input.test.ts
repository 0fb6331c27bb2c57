import { events, InvalidMessageError } from "@warden/messaging";
import type { DecisionData } from "@warden/messaging";
import { describe, expect, it } from "vitest";
import { approvalInputFromDecision } from "./decision-input.ts";

const policy = { breakGlassRoles: ["cto"], breakGlassValiditySeconds: 900, approvalValiditySeconds: 3600 };

const decision = (overrides: Record<string, unknown> = {}): DecisionData =>
  events.decisionMade.data.parse({
    actionId: "a1",
    agentId: "deploy-bot",
    outcome: "OUTCOME_APPROVAL_REQUIRED",
    approval: {
      workflow: "production_deployment",
      minApprovers: 2,
      eligibleRoles: ["engineering-lead", "security-lead"],
      requiredRoles: ["security-lead"],
      timeoutSeconds: 600,
      escalationChain: [{ roles: ["cto"], timeoutSeconds: 300 }],
      aiMayRecommend: true,
      notificationChannels: ["slack:#deploys"],
    },
    bundleDigest: "sha256:b",
    evaluatedAt: "2026-12-03T10:00:00Z",
    riskLevel: "RISK_LEVEL_CRITICAL",
    requestDigest: "sha256:r",
    killswitchEpoch: "5",
    request: {
      actionId: "a1",
      agentId: "deploy-bot",
      action: "deploy",
      environment: "ENVIRONMENT_STAGING",
      requestedBy: { type: "ACTOR_TYPE_HUMAN", id: "alice" },
    },
    ...overrides,
  });

function refusal(fn: () => unknown): InvalidMessageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidMessageError) return err;
    throw err;
  }
  throw new Error("no refusal");
}

describe("approvalInputFromDecision", () => {
  it("copies the requirement, digests, epoch and requester from the decision", () => {
    const input = approvalInputFromDecision(
      decision(),
      "deploy-bot",
      policy,
      new Date("2026-12-03T10:00:01Z"),
    );
    expect(input).toMatchObject({
      actionId: "a1",
      agentId: "deploy-bot",
      requestedBy: { type: "human", id: "alice" },
      requestDigest: "sha256:r",
      bundleDigest: "sha256:b",
      killswitchEpoch: 5,
      risk: "critical",
      environment: "staging",
      definition: {
        workflow: "production_deployment",
        minApprovers: 2,
        eligibleRoles: ["engineering-lead", "security-lead"],
        requiredRoles: ["security-lead"],
        timeoutSeconds: 600,
        escalation: [{ roles: ["cto"], timeoutSeconds: 300 }],
        aiMayRecommend: true,
        notify: ["slack:#deploys"],
      },
      breakGlassRoles: ["cto"],
      breakGlassValiditySeconds: 900,
      approvalValiditySeconds: 3600,
      createdAt: "2026-12-03T10:00:01.000Z",
    });
  });

  it("names every missing field", () => {
    const err = refusal(() =>
      approvalInputFromDecision(
        decision({ approval: undefined, requestDigest: undefined, request: undefined }),
        "deploy-bot",
        policy,
      ),
    );
    expect(err.reason).toBe("schema");
    expect(err.issues.map((i) => i.field).sort()).toEqual(["approval", "request", "requestDigest"]);
  });

  it("refuses a dry run and another outcome", () => {
    const err = refusal(() =>
      approvalInputFromDecision(decision({ dryRun: true, outcome: "OUTCOME_ALLOW" }), "deploy-bot", policy),
    );
    expect(err.issues.map((i) => i.field).sort()).toEqual(["dryRun", "outcome"]);
  });

  it("refuses a payload naming another agent than its subject (identity)", () => {
    expect(refusal(() => approvalInputFromDecision(decision(), "someone-else", policy)).reason).toBe(
      "identity",
    );
  });
});
