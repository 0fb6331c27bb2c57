import { describe, expect, it } from "vitest";
import { definitionFromRequirement } from "./definition.ts";

describe("definitionFromRequirement", () => {
  const base = {
    workflow: "production_deployment",
    minApprovers: 2,
    requiredRoles: [],
    eligibleRoles: ["team-lead", "on-call-engineer"],
    timeoutSeconds: 1800,
    aiMayRecommend: true,
    notify: ["slack:#deploy-approvals"],
  };

  it("maps one escalation step: each level waits the timeout", () => {
    expect(
      definitionFromRequirement({ ...base, escalation: [{ role: "engineering-lead", afterSeconds: 1800 }] }),
    ).toEqual({
      ...base,
      escalation: [{ roles: ["engineering-lead"], timeoutSeconds: 1800 }],
    });
  });

  it("maps a chain: a level lasts until the next step's `after`, the last one the timeout", () => {
    const d = definitionFromRequirement({
      ...base,
      escalation: [
        { role: "engineering-lead", afterSeconds: 1800 },
        { role: "cto", afterSeconds: 2400 },
      ],
    });
    expect(d.timeoutSeconds).toBe(1800);
    expect(d.escalation).toEqual([
      { roles: ["engineering-lead"], timeoutSeconds: 600 },
      { roles: ["cto"], timeoutSeconds: 1800 },
    ]);
  });

  it("without escalation, the only level waits the timeout", () => {
    expect(definitionFromRequirement({ ...base, escalation: [] })).toMatchObject({
      timeoutSeconds: 1800,
      escalation: [],
    });
  });
});
