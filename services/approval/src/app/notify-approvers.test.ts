import { describe, expect, it } from "vitest";
import type { ApprovalInput } from "../workflows/contract.ts";
import { createInMemoryNotifier } from "../adapters/fakes/in-memory-notifier.ts";
import { createFakeVoteSubmitter } from "../adapters/fakes/fake-vote-submitter.ts";
import { createLinkTokens } from "../domain/link-token.ts";
import { clock, TEST_LINK_KEY, testDirectory } from "../testing/link-fixtures.ts";
import { changeSummaryOf, createApprovalNotifier } from "./notify-approvers.ts";

const input: ApprovalInput = {
  actionId: "act-9",
  agentId: "deploy-bot",
  requestedBy: { type: "human", id: "mallory" },
  requestDigest: "sha256:r",
  bundleDigest: "sha256:b",
  killswitchEpoch: 0,
  risk: "RISK_LEVEL_HIGH",
  environment: "production",
  definition: {
    workflow: "prod-deploy",
    minApprovers: 2,
    eligibleRoles: ["team-lead", "sre"],
    requiredRoles: ["sre"],
    timeoutSeconds: 3600,
    escalation: [],
    aiMayRecommend: true,
    notify: ["chat"],
  },
  decision: {
    matchedRules: [{ ruleId: "prod-needs-two", reason: "production deploys need two approvers" }],
    request: {
      action: "code.deploy",
      tool: "github.merge",
      target: "service/payments-api",
      reason: "fix rounding",
      ticket: "JIRA-7",
    },
  },
  breakGlassRoles: [],
  breakGlassValiditySeconds: 600,
  approvalValiditySeconds: 600,
  createdAt: "2026-06-01T10:00:00.000Z",
};

describe("notifying approvers", () => {
  it("sends who asks, what, risk, rules, AI recommendation, votes needed, deadline and personal links", async () => {
    const c = clock();
    const tokens = createLinkTokens({
      key: TEST_LINK_KEY,
      ttlSeconds: 900,
      issuer: "warden-approval",
      now: c.now,
    });
    const notifier = createInMemoryNotifier();
    const fake = createFakeVoteSubmitter(c.now);
    fake.add({ actionId: "act-9", agentId: "deploy-bot", required: 2, eligibleRoles: ["team-lead", "sre"] });
    const pending = await fake.read("act-9");
    if (pending === undefined) throw new Error("fixture: act-9 missing");
    const view = {
      ...pending,
      levelDeadline: "2026-06-01T11:00:00.000Z",
      missingRoles: ["sre"],
    };
    view.recommendations.push({
      voter: { type: "ai_agent", id: "reviewer-ai" },
      decision: "approve",
      comment: "tests green",
      castAt: "",
      counted: false,
    });
    const directory = testDirectory({
      alice: ["team-lead"],
      bob: ["sre"],
      mallory: ["team-lead"],
      carol: ["finance"],
    });
    const app = createApprovalNotifier({
      notifier,
      tokens,
      directory,
      linkUrl: (t) => `https://approvals.test/approvals/links/${t}`,
    });

    const notice = await app.notifyApprovers(input, view);

    expect(notifier.sent).toEqual([notice]);
    expect(notice).toMatchObject({
      requestedBy: "deploy-bot (launched by mallory)",
      action: "code.deploy",
      risk: "high",
      environment: "production",
      changeSummary: "code.deploy via github.merge on service/payments-api — fix rounding (JIRA-7)",
      matchedRules: [{ ruleId: "prod-needs-two", reason: "production deploys need two approvers" }],
      aiRecommendation: { decision: "approve", rationale: "tests green" },
      votesNeeded: 2,
      missingRoles: ["sre"],
      deadline: "2026-06-01T11:00:00.000Z",
    });
    // The requester (mallory) is never asked; carol holds no role asked now.
    expect(notice.links.map((l) => l.approver)).toEqual(["alice", "bob"]);
    const reject = await tokens.verify(notice.links[1]?.rejectUrl.split("/").at(-1) ?? "");
    expect(reject).toMatchObject({ approver: "bob", decision: "reject", actionId: "act-9", risk: "high" });
  });

  it("announce (the notify activity): links only when asking while pending; a change is told without links", async () => {
    const c = clock();
    const tokens = createLinkTokens({
      key: TEST_LINK_KEY,
      ttlSeconds: 900,
      issuer: "warden-approval",
      now: c.now,
    });
    const notifier = createInMemoryNotifier();
    const fake = createFakeVoteSubmitter(c.now);
    fake.add({ actionId: "act-9", agentId: "deploy-bot", required: 1, eligibleRoles: ["sre"] });
    const pending = await fake.read("act-9");
    if (pending === undefined) throw new Error("fixture: act-9 missing");
    const view = { ...pending, currentRoles: ["sre"] };
    const app = createApprovalNotifier({
      notifier,
      tokens,
      directory: testDirectory({ bob: ["sre"] }),
      linkUrl: (t) => `https://approvals.test/approvals/links/${t}`,
    });
    const asked = await app.announce({
      approval: view,
      kind: "escalated",
      channels: [],
      roles: ["sre"],
      input,
    });
    expect(asked).toMatchObject({ kind: "escalated", action: "code.deploy", status: "pending" });
    expect(asked.links.map((l) => l.approver)).toEqual(["bob"]);
    const resolved = { ...view, status: "blocked" as const, reason: "timed out at the last level" };
    const told = await app.announce({
      approval: resolved,
      kind: "resolved",
      channels: [],
      roles: ["sre"],
      input,
    });
    expect(told).toMatchObject({
      kind: "resolved",
      status: "blocked",
      reason: "timed out at the last level",
    });
    expect(told.links).toEqual([]);
    // A history scheduled before the input was passed: the view alone, still a notice.
    const bare = await app.announce({ approval: view, kind: "requested", channels: [], roles: ["sre"] });
    expect(bare).toMatchObject({ action: "(unnamed action)", agentId: "deploy-bot" });
    // No link signing configured: the notice carries no links.
    const plain = createApprovalNotifier({ notifier, directory: testDirectory({ bob: ["sre"] }) });
    expect((await plain.notifyApprovers(input, view)).links).toEqual([]);
    expect(notifier.sent).toHaveLength(4);
  });

  it("summarises a request with only an action", () => {
    expect(changeSummaryOf({ action: "data.write" })).toBe("data.write");
  });
});
