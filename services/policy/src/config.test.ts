// The policy service's authorisation keys (ADR 0009): defaults, `role:agent-id` entries, bad entries
// named by key.
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";

const required = {
  NATS_URL: "nats://127.0.0.1:4222",
  POLICY_BUNDLE_DIR: "./governance",
  JWT_ISSUER: "warden-test",
  JWT_DEV_KEY_FILE: "/tmp/dev-issuer.pem",
};

describe("policy config: who may evaluate, explain and read the bundle", () => {
  it("defaults to policy authors and security leads (plus auditors for explain and bundle)", () => {
    const config = loadConfig(required);
    expect(config.POLICY_DRY_RUN_ROLES).toEqual(["policy-author", "security-lead"]);
    expect(config.POLICY_EXPLAIN_ROLES).toEqual(["policy-author", "security-lead", "auditor"]);
    expect(config.POLICY_BUNDLE_READ_ROLES).toEqual(["policy-author", "security-lead", "auditor"]);
  });

  it("takes roles scoped to an agent; an empty value is unset (the default)", () => {
    const config = loadConfig({
      ...required,
      POLICY_DRY_RUN_ROLES: "policy-author, team-lead:release-pipeline,ops:ci:payments.deploy",
      POLICY_EXPLAIN_ROLES: "",
    });
    expect(config.POLICY_DRY_RUN_ROLES).toEqual([
      "policy-author",
      "team-lead:release-pipeline",
      "ops:ci:payments.deploy",
    ]);
    expect(config.POLICY_EXPLAIN_ROLES).toEqual(["policy-author", "security-lead", "auditor"]);
  });

  it("refuses an entry that is neither role nor role:agent-id, naming the key", () => {
    expect(() =>
      loadConfig({ ...required, POLICY_DRY_RUN_ROLES: "policy-author,:release-pipeline" }),
    ).toThrow(/POLICY_DRY_RUN_ROLES/);
    expect(() => loadConfig({ ...required, POLICY_DRY_RUN_ROLES: "team lead" })).toThrow(
      /POLICY_DRY_RUN_ROLES/,
    );
  });
});

describe("policy config: how decision records are written", () => {
  it("defaults to group and takes single or pipelined", () => {
    const mode = (value?: string) =>
      loadConfig({ ...required, ...(value !== undefined && { POLICY_DECISION_RECORDS: value }) })
        .POLICY_DECISION_RECORDS;
    expect(mode()).toBe("group");
    expect(mode("single")).toBe("single");
    expect(mode("pipelined")).toBe("pipelined");
  });

  it("refuses another mode, naming the key", () => {
    expect(() => loadConfig({ ...required, POLICY_DECISION_RECORDS: "async" })).toThrow(
      /POLICY_DECISION_RECORDS/,
    );
  });
});
