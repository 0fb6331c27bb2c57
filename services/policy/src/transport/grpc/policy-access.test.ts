// Who may call what on PolicyService (ADR 0009): every caller kind × role, for Evaluate, Explain and
// GetBundle. A refusal is PermissionError (gRPC PERMISSION_DENIED) naming the roles that would do.
import { PermissionError } from "@warden/identity";
import type { Principal } from "@warden/identity";
import { describe, expect, it } from "vitest";
import { createPolicyAccess, isAgentItself } from "./policy-access.ts";

const access = createPolicyAccess({
  dryRunRoles: ["policy-author", "team-lead:release-pipeline"],
  explainRoles: ["policy-author", "auditor"],
  bundleReadRoles: ["policy-author", "auditor"],
});

const human = (roles: string[], id = "nobody"): Principal => ({ id, type: "human", roles });
const agent = (id: string, roles: string[] = []): Principal => ({ id, type: "ai_agent", roles });
const service = (id: string, roles: string[] = []): Principal => ({ id, type: "service", roles });

/** The PermissionError `run` throws (fails the test when it throws nothing or something else). */
function refusal(run: () => unknown): PermissionError {
  try {
    run();
  } catch (err) {
    if (err instanceof PermissionError) return err;
    throw err;
  }
  throw new Error("expected a PermissionError, got none");
}

describe("Evaluate", () => {
  it("refuses a role-less human, naming the roles that cover the agent", () => {
    const err = refusal(() => access.evaluate(human([]), "financial-advisor"));
    expect(err.principalId).toBe("nobody");
    expect(err.missingRoles).toEqual(["policy-author"]);
    // A role scoped to release-pipeline is named only for release-pipeline.
    expect(refusal(() => access.evaluate(human([]), "release-pipeline")).missingRoles).toEqual([
      "policy-author or team-lead",
    ]);
  });

  it("gives a human with a dry-run role a dry run naming the human", () => {
    expect(access.evaluate(human(["policy-author"], "alice"), "financial-advisor")).toEqual({
      type: "human",
      id: "alice",
      roles: ["policy-author"],
    });
  });

  it("honours a role scoped to one agent for that agent only", () => {
    const lead = human(["team-lead"], "lee");
    expect(access.evaluate(lead, "release-pipeline")).toMatchObject({ type: "human", id: "lee" });
    expect(refusal(() => access.evaluate(lead, "financial-advisor")).missingRoles).toEqual(["policy-author"]);
  });

  it("scopes a role to an agent id that has colons or dots in it", () => {
    const scoped = createPolicyAccess({
      dryRunRoles: ["team-lead:ci:payments.deploy"],
      explainRoles: [],
      bundleReadRoles: [],
    });
    expect(scoped.evaluate(human(["team-lead"]), "ci:payments.deploy")).toMatchObject({ type: "human" });
    expect(refusal(() => scoped.evaluate(human(["team-lead"]), "ci")).missingRoles).toEqual([
      "(none configured)",
    ]);
  });

  it("gives the agent's own ai_agent or service token a real decision (no dry run, no role needed)", () => {
    expect(access.evaluate(agent("financial-advisor"), "financial-advisor")).toBeUndefined();
    expect(access.evaluate(service("release-pipeline"), "release-pipeline")).toBeUndefined();
  });

  it("refuses an agent asking for another agent; with a dry-run role it gets a dry run, never a real decision", () => {
    expect(refusal(() => access.evaluate(agent("rogue-bot"), "financial-advisor")).missingRoles).toEqual([
      "policy-author",
    ]);
    expect(refusal(() => access.evaluate(service("ci"), "financial-advisor")).missingRoles).toEqual([
      "policy-author",
    ]);
    expect(access.evaluate(service("ci", ["policy-author"]), "financial-advisor")).toEqual({
      type: "service",
      id: "ci",
      roles: ["policy-author"],
    });
  });

  it("never takes a human whose subject is the agent's id for the agent", () => {
    expect(isAgentItself(human([], "financial-advisor"), "financial-advisor")).toBe(false);
    expect(
      refusal(() => access.evaluate(human([], "financial-advisor"), "financial-advisor")).missingRoles,
    ).toEqual(["policy-author"]);
  });

  it("names that nobody may when no role is configured", () => {
    const closed = createPolicyAccess({ dryRunRoles: [], explainRoles: [], bundleReadRoles: [] });
    expect(refusal(() => closed.evaluate(human(["policy-author"]), "x")).missingRoles).toEqual([
      "(none configured)",
    ]);
    expect(closed.evaluate(agent("x"), "x")).toBeUndefined();
  });
});

describe("Explain", () => {
  it("lets the agent explain its own request without a role, naming it as the caller", () => {
    expect(access.explain(agent("financial-advisor"), "financial-advisor")).toEqual({
      type: "ai_agent",
      id: "financial-advisor",
      roles: [],
    });
  });

  it("refuses a role-less human and an agent explaining another agent, naming the explain roles", () => {
    expect(refusal(() => access.explain(human([]), "financial-advisor")).missingRoles).toEqual([
      "policy-author or auditor",
    ]);
    expect(refusal(() => access.explain(agent("rogue-bot"), "financial-advisor")).missingRoles).toEqual([
      "policy-author or auditor",
    ]);
    // A dry-run role is not an explain role.
    expect(() => access.explain(human(["team-lead"]), "release-pipeline")).toThrow(PermissionError);
  });

  it("lets a holder of an explain role explain any agent's request", () => {
    expect(access.explain(human(["auditor"], "ann"), "financial-advisor")).toMatchObject({
      type: "human",
      id: "ann",
    });
  });
});

describe("GetBundle", () => {
  it("lets agent and service tokens read the bundle status", () => {
    expect(() => access.getBundle(agent("financial-advisor"))).not.toThrow();
    expect(() => access.getBundle(service("release-pipeline"))).not.toThrow();
  });

  it("refuses a role-less human, naming the bundle-read roles; a reader role may", () => {
    expect(refusal(() => access.getBundle(human([]))).missingRoles).toEqual(["policy-author or auditor"]);
    expect(() => access.getBundle(human(["auditor"]))).not.toThrow();
  });
});
