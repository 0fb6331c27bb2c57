import { describe, expect, it } from "vitest";
import { approveDeactivation, checkPostIncident } from "./deactivation.ts";
import type { DeactivationRequest } from "./deactivation.ts";
import type { Person } from "./stop-record.ts";

const eng: Person = { id: "erin", type: "human", roles: ["engineering-lead"] };
const sec: Person = { id: "sam", type: "human", roles: ["security-lead"] };
const both: Person = { id: "bo", type: "human", roles: ["engineering-lead", "security-lead"] };
const at = new Date("2026-12-02T10:00:00Z");
const request: DeactivationRequest = {
  epoch: 3,
  scopes: [{ kind: "global" }],
  reEnableAgents: [],
  reviewRef: "INC-1",
  rootCause: "bad deploy",
  prevention: "canary",
};

describe("two-person deactivation", () => {
  it("names every missing post-incident field", () => {
    expect(() => checkPostIncident({ reviewRef: " ", rootCause: "x" })).toThrow(
      "reviewRef: required: the post-incident review reference, e.g. INC-2026-017; prevention: required: the prevention measures",
    );
  });

  it("first approval is pending, the other role completes it", () => {
    const first = approveDeactivation(undefined, request, eng, at);
    expect(first.complete).toBe(false);
    expect(first.pending.approvals.map((a) => [a.approver.id, a.role])).toEqual([
      ["erin", "engineering-lead"],
    ]);
    const second = approveDeactivation(first.pending, request, sec, at);
    expect(second.complete).toBe(true);
    expect(second.pending.approvals.map((a) => a.role)).toEqual(["engineering-lead", "security-lead"]);
  });

  it("one person holding both roles still needs a second person", () => {
    const first = approveDeactivation(undefined, request, both, at);
    expect(first.complete).toBe(false);
    expect(() => approveDeactivation(first.pending, request, both, at)).toThrow(
      "bo already approved this deactivation; a second, different person holding security-lead must approve",
    );
    expect(approveDeactivation(first.pending, request, sec, at).complete).toBe(true);
  });

  it("refuses a second person of the same role, a wrong role, an agent, a different record", () => {
    const first = approveDeactivation(undefined, request, eng, at);
    const eng2: Person = { id: "eve", type: "human", roles: ["engineering-lead"] };
    expect(() => approveDeactivation(first.pending, request, eng2, at)).toThrow(
      "eve holds only engineering-lead, which is already approved; the second approval needs a person holding security-lead",
    );
    const oncall: Person = { id: "oli", type: "human", roles: ["on-call-engineer"] };
    expect(() => approveDeactivation(first.pending, request, oncall, at)).toThrow(
      "lifting a stop needs the role engineering-lead or security-lead; oli holds neither",
    );
    const bot: Person = { id: "bot", type: "ai_agent", roles: ["security-lead"] };
    expect(() => approveDeactivation(first.pending, request, bot, at)).toThrow(
      "only people may lift an emergency stop",
    );
    expect(() => approveDeactivation(first.pending, { ...request, rootCause: "other" }, sec, at)).toThrow(
      "the pending deactivation approved by erin differs in rootCause",
    );
  });
});
