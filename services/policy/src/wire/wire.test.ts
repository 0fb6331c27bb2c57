// The decision on the wire: warden.policy.v1.ApprovalRequirement says how long each level has
// (timeout_seconds: the first level; escalation_chain[i].timeout_seconds: that level), while the
// bundle's workflows.yaml says `timeout` (each level's wait, the last one's included) and
// `escalation[i].after` (when level i+1 is engaged, counted from the request). The approval service
// waits what the wire says, so the wire carries per-level durations, never the `after` offsets.
import { describe, expect, it } from "vitest";
import type { Decision } from "../domain/decision.ts";
import { STOP_CLEAR } from "../domain/stop-state.ts";
import { decisionToWire } from "./wire.ts";

function decisionWith(
  timeoutSeconds: number,
  escalation: { role: string; afterSeconds: number }[],
): Decision {
  return {
    actionId: "act-1",
    agentId: "release-pipeline",
    outcome: "approval_required",
    riskLevel: "high",
    matched: [],
    reasons: [],
    approval: {
      workflow: "rollback_escalation",
      minApprovers: 1,
      requiredRoles: [],
      eligibleRoles: ["on-call-engineer"],
      timeoutSeconds,
      escalation,
      aiMayRecommend: false,
      aiMayApprove: false,
      notify: [],
    },
    bundleDigest: "sha256:00",
    evaluatedAt: "2026-01-07T12:00:00.000Z",
    evalDurationNs: 1,
  };
}

describe("decisionToWire: the approval requirement's level durations", () => {
  it("15m levels engaged after 15m and 30m: each level waits 15 min on the wire, the last one too", () => {
    const wire = decisionToWire(
      decisionWith(900, [
        { role: "engineering-lead", afterSeconds: 900 },
        { role: "cto", afterSeconds: 1800 },
      ]),
      undefined,
      STOP_CLEAR,
      "emergency-stop",
    );
    expect(wire.approval?.timeoutSeconds).toBe(900);
    expect(wire.approval?.escalationChain).toEqual([
      { roles: ["engineering-lead"], timeoutSeconds: 900 },
      { roles: ["cto"], timeoutSeconds: 900 },
    ]);
  });

  it("level 0 lasts until the first step's after; a step's level until the next step's; no chain: timeout", () => {
    const uneven = decisionToWire(
      decisionWith(600, [
        { role: "engineering-lead", afterSeconds: 300 },
        { role: "cto", afterSeconds: 1200 },
      ]),
      undefined,
      STOP_CLEAR,
      "emergency-stop",
    );
    expect(uneven.approval?.timeoutSeconds).toBe(300);
    expect(uneven.approval?.escalationChain?.map((l) => l.timeoutSeconds)).toEqual([900, 600]);
    const none = decisionToWire(decisionWith(600, []), undefined, STOP_CLEAR, "emergency-stop");
    expect(none.approval?.timeoutSeconds).toBe(600);
    expect(none.approval?.escalationChain).toEqual([]);
  });
});
