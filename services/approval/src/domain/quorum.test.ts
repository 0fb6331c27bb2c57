import { describe, expect, it } from "vitest";
import { tallyApprovals } from "./quorum.ts";

describe("tallyApprovals", () => {
  it("counts distinct people, not votes", () => {
    const t = tallyApprovals(
      [
        { id: "ann", roles: ["team-lead"] },
        { id: "ann", roles: ["team-lead"] },
      ],
      2,
      [],
    );
    expect(t).toMatchObject({ approvals: 1, required: 2, reached: false });
  });

  it("reaches N of M with any eligible people", () => {
    const t = tallyApprovals(
      [
        { id: "ann", roles: ["team-lead"] },
        { id: "bob", roles: ["team-lead"] },
      ],
      2,
      [],
    );
    expect(t).toEqual({ approvals: 2, required: 2, missingRoles: [], reached: true });
  });

  it("needs each required role covered by a different approver", () => {
    // ann holds both required roles: she covers one; the other stays missing until someone else covers it.
    const one = tallyApprovals([{ id: "ann", roles: ["security-lead", "engineering-lead"] }], 1, [
      "security-lead",
      "engineering-lead",
    ]);
    expect(one).toMatchObject({ approvals: 1, required: 2, reached: false });
    expect(one.missingRoles).toHaveLength(1);

    const two = tallyApprovals(
      [
        { id: "ann", roles: ["security-lead", "engineering-lead"] },
        { id: "bob", roles: ["security-lead"] },
      ],
      2,
      ["security-lead", "engineering-lead"],
    );
    expect(two).toMatchObject({ missingRoles: [], reached: true }); // bob: security, ann: engineering
  });

  it("reports a required role no approver holds", () => {
    const t = tallyApprovals(
      [
        { id: "ann", roles: ["team-lead"] },
        { id: "bob", roles: ["team-lead"] },
      ],
      2,
      ["security-lead"],
    );
    expect(t).toMatchObject({ missingRoles: ["security-lead"], reached: false });
  });

  it("never needs fewer than one approval", () => {
    expect(tallyApprovals([], 0, [])).toMatchObject({ required: 1, reached: false });
  });
});
