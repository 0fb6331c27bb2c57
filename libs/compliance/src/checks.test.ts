import { describe, expect, it } from "vitest";
import {
  accessAudited,
  aiActionsTraced,
  aiNotApprover,
  chainVerified,
  changeApprovals,
  decisionsStamped,
  emergencyStopExercised,
  missingRoles,
  retentionClasses,
  rollbacksVerifiedReviewed,
  segregationOfDuties,
  type CheckInput,
} from "./checks.ts";
import type { ChainVerification, EvidenceRecord } from "./evidence.ts";
import { human, trail } from "./testing/trail.ts";

const period = { from: "2026-10-01T00:00:00Z", to: "2027-01-01T00:00:00Z" };
const input = (records: EvidenceRecord[], extra: Partial<CheckInput> = {}): CheckInput => ({
  records,
  verification: undefined,
  period,
  stopConsumers: [],
  ...extra,
});
const lead = { id: "dave", roles: ["team-lead"] };
const sec = { id: "erin", roles: ["security-lead"] };

describe("change-approvals", () => {
  it("passes when every production change had its N distinct approvers with the required roles", () => {
    const t = trail();
    t.approvedChange({
      actionId: "a1",
      minApprovers: 2,
      requiredRoles: ["team-lead"],
      approvers: [lead, sec],
    });
    const r = changeApprovals(input(t.records));
    expect(r.status).toBe("pass");
    expect(r.evidence).toEqual([2, 3, 4, 5]);
    expect(r.findings).toEqual([]);
  });

  it("catches an approval by one person where two were required (planted violation)", () => {
    const t = trail();
    t.approvedChange({ actionId: "ok", minApprovers: 2, approvers: [lead, sec] });
    t.approvedChange({ actionId: "planted", minApprovers: 2, approvers: [lead] });
    const r = changeApprovals(input(t.records));
    expect(r.status).toBe("fail");
    expect(r.findings).toEqual([
      expect.objectContaining({
        seq: 8,
        actionId: "planted",
        message: expect.stringMatching(/1 distinct .* where 2 were required/) as unknown,
      }),
    ]);
  });

  it("counts the same person twice once, and an AI or uncounted vote never", () => {
    const t = trail();
    t.approvedChange({
      actionId: "dup",
      minApprovers: 2,
      approvers: [
        lead,
        lead,
        { id: "copilot", roles: ["team-lead"], type: "ai_agent" },
        { ...sec, counted: false },
      ],
    });
    expect(changeApprovals(input(t.records)).status).toBe("fail");
  });

  it("fails when a required role is not held by a distinct approver", () => {
    const t = trail();
    t.approvedChange({
      actionId: "roles",
      minApprovers: 2,
      requiredRoles: ["security-lead"],
      approvers: [lead, { id: "bob", roles: [] }],
    });
    const r = changeApprovals(input(t.records));
    expect(r.status).toBe("fail");
    expect(r.findings[0]?.message).toMatch(/no distinct approver with role security-lead/);
  });

  it("fails a change executed without an approved resolution", () => {
    const t = trail();
    t.add({
      type: "warden.decision.made",
      actionId: "sneak",
      data: { actionId: "sneak", outcome: "OUTCOME_APPROVAL_REQUIRED", approval: { minApprovers: 1 } },
    });
    t.add({ type: "warden.action.executed", actionId: "sneak", data: { actionId: "sneak" } });
    const r = changeApprovals(input(t.records));
    expect(r.status).toBe("fail");
    expect(r.findings[0]).toMatchObject({ seq: 2, actionId: "sneak" });
  });

  it("has no evidence when no production change needing approval went ahead (a dry run is not one)", () => {
    const t = trail();
    t.add({
      type: "warden.decision.made",
      actionId: "dry",
      data: { outcome: "OUTCOME_APPROVAL_REQUIRED", dryRun: true },
    });
    t.add({
      type: "warden.approval.resolved",
      actionId: "dry",
      data: { status: "APPROVAL_STATUS_APPROVED" },
    });
    expect(changeApprovals(input(t.records)).status).toBe("no-evidence");
  });
});

describe("missingRoles", () => {
  it("matches roles to different people", () => {
    expect(missingRoles([human("a", ["x", "y"])], ["x", "y"])).toEqual(["y"]);
    expect(missingRoles([human("a", ["x", "y"]), human("b", ["x"])], ["x", "y"])).toEqual([]);
  });
});

describe("segregation-of-duties and ai-not-approver", () => {
  it("pass when the approvers are neither the requester nor an AI", () => {
    const t = trail();
    t.approvedChange({ actionId: "a1", minApprovers: 2, approvers: [lead, sec] });
    expect(segregationOfDuties(input(t.records)).status).toBe("pass");
    expect(aiNotApprover(input(t.records)).status).toBe("pass");
  });

  it("catch a self-approval and a counted AI approval", () => {
    const t = trail();
    t.approvedChange({
      actionId: "a1",
      requester: "carol",
      minApprovers: 2,
      approvers: [
        { id: "carol", roles: ["team-lead"] },
        { id: "copilot", roles: [], type: "ai_agent" },
      ],
    });
    const sod = segregationOfDuties(input(t.records));
    expect(sod.status).toBe("fail");
    expect(sod.findings[0]?.message).toMatch(/carol, who requested it/);
    const ai = aiNotApprover(input(t.records));
    expect(ai.status).toBe("fail");
    expect(ai.findings[0]?.message).toMatch(/AI agent copilot/);
  });
});

describe("ai-actions-traced", () => {
  it("passes when AI actions carry model and rationale, fails the one that does not", () => {
    const good = trail();
    good.approvedChange({
      actionId: "a1",
      minApprovers: 1,
      approvers: [lead],
      ai: { model: "m", rationale: "why" },
    });
    expect(aiActionsTraced(input(good.records)).status).toBe("pass");
    const bad = trail();
    bad.approvedChange({ actionId: "a2", minApprovers: 1, approvers: [lead], ai: { model: "m" } });
    const r = aiActionsTraced(input(bad.records));
    expect(r.status).toBe("fail");
    expect(r.findings).toEqual([{ seq: 1, actionId: "a2", message: "AI action recorded without rationale" }]);
  });

  it("has no evidence without AI actions", () => {
    expect(aiActionsTraced(input([])).status).toBe("no-evidence");
  });
});

describe("decisions-stamped", () => {
  it("fails a decision without its bundle digest", () => {
    const t = trail();
    t.add({
      type: "warden.decision.made",
      actionId: "x",
      data: { outcome: "OUTCOME_ALLOW", bundleDigest: "sha256:b" },
    });
    expect(decisionsStamped(input(t.records)).status).toBe("pass");
    t.add({ type: "warden.decision.made", actionId: "y", data: { outcome: "OUTCOME_ALLOW" } });
    expect(decisionsStamped(input(t.records))).toMatchObject({ status: "fail", findings: [{ seq: 2 }] });
  });
});

describe("emergency-stop-exercised", () => {
  const stop = (acks: string[], lifted = { approvers: ["eng", "sec"], reviewRef: "PIR-1" }) => {
    const t = trail();
    t.add({ type: "warden.killswitch.activated", data: { state: { epoch: "3", active: true } } });
    for (const id of acks)
      t.add({
        type: "warden.killswitch.acknowledged",
        data: { acknowledgement: { instanceId: id, epoch: "3" } },
      });
    t.add({
      type: "warden.killswitch.deactivated",
      data: {
        epoch: "3",
        reviewRef: lifted.reviewRef,
        approvals: lifted.approvers.map((id) => ({ approver: { id, type: "ACTOR_TYPE_HUMAN" } })),
      },
    });
    return t.records;
  };

  it("passes when every expected consumer acknowledged and two people lifted it with a review", () => {
    const r = emergencyStopExercised(
      input(stop(["policy-1", "approval-1"]), { stopConsumers: ["policy-1", "approval-1"] }),
    );
    expect(r.status).toBe("pass");
    expect(r.evidence).toEqual([1, 2, 3, 4]);
  });

  it("fails when a consumer did not acknowledge, or one person lifted it", () => {
    const r = emergencyStopExercised(
      input(stop(["policy-1"]), { stopConsumers: ["policy-1", "approval-1"] }),
    );
    expect(r.findings[0]?.message).toBe("stop epoch 3: not acknowledged by approval-1");
    const one = emergencyStopExercised(input(stop(["policy-1"], { approvers: ["eng"], reviewRef: "" })));
    expect(one.status).toBe("fail");
    expect(one.findings[0]?.message).toMatch(/lifted by 1 person\(s\) without a review reference/);
  });

  it("fails when the stop was not exercised in the period", () => {
    expect(emergencyStopExercised(input([])).status).toBe("fail");
  });
});

describe("rollbacks-verified-reviewed", () => {
  it("passes a verified rollback with a review due within 48 h; fails an overdue review", () => {
    const t = trail();
    t.add({
      type: "warden.rollback.completed",
      data: { deploymentId: "d1", result: "ROLLBACK_RESULT_SUCCEEDED" },
    });
    t.add({
      type: "warden.incident.opened",
      data: {
        incidentId: "i1",
        deploymentId: "d1",
        openedAt: "2026-10-01T10:00:00Z",
        reviewDueAt: "2026-10-03T10:00:00Z",
      },
    });
    expect(rollbacksVerifiedReviewed(input(t.records)).status).toBe("pass");
    t.add({ type: "warden.incident.review_overdue", data: { incidentId: "i1", deploymentId: "d1" } });
    expect(rollbacksVerifiedReviewed(input(t.records))).toMatchObject({
      status: "fail",
      findings: [{ seq: 3 }],
    });
  });

  it("fails an unverified rollback and has no evidence without rollbacks", () => {
    const t = trail();
    t.add({
      type: "warden.rollback.completed",
      data: { deploymentId: "d1", result: "ROLLBACK_RESULT_VERIFICATION_FAILED" },
    });
    expect(rollbacksVerifiedReviewed(input(t.records)).status).toBe("fail");
    expect(rollbacksVerifiedReviewed(input([])).status).toBe("no-evidence");
  });
});

describe("chain-verified", () => {
  const v = (ok: boolean): ChainVerification => ({
    ok,
    fromSeq: 1,
    toSeq: 5,
    recordsChecked: ok ? 5 : 2,
    checkpointsChecked: 1,
    firstBadSeq: ok ? 0 : 3,
    problem: ok ? "" : "PROBLEM_MODIFIED",
    detail: ok ? "" : "seq 3: stored hash differs",
    checkpointSource: "STREAM",
  });
  it("passes a verified range and fails naming the first bad seq", () => {
    const t = trail();
    t.add({ type: "warden.decision.made" });
    expect(chainVerified(input(t.records, { verification: v(true) })).status).toBe("pass");
    expect(chainVerified(input(t.records, { verification: v(false) }))).toMatchObject({
      status: "fail",
      findings: [{ seq: 3 }],
    });
  });
});

describe("retention-classes and access-audited", () => {
  it("fails a production record kept less than 7 years", () => {
    const t = trail();
    t.add({ type: "warden.decision.made" });
    expect(retentionClasses(input(t.records)).status).toBe("pass");
    t.add({ type: "warden.decision.made", retentionClass: "staging-1y" });
    expect(retentionClasses(input(t.records))).toMatchObject({ status: "fail", findings: [{ seq: 2 }] });
  });

  it("passes when reads are recorded with their scope", () => {
    const t = trail();
    expect(accessAudited(input(t.records)).status).toBe("no-evidence");
    t.add({
      type: "warden.audit.queried",
      actor: human("audrey", ["auditor"]),
      data: { scope: { kind: "all" } },
    });
    expect(accessAudited(input(t.records)).status).toBe("pass");
  });
});
