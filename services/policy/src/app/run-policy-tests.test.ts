import { describe, expect, it } from "vitest";
import { FIXTURE_BASE } from "../testing/bundle-fixtures.ts";
import { governanceSource } from "../testing/governance-bundle.ts";
import { createInMemoryBundleSource } from "../adapters/fakes/in-memory-bundle-source.ts";
import { BundleError, formatIssue } from "../domain/bundle-error.ts";
import { runPolicyTests } from "./run-policy-tests.ts";

describe("runPolicyTests", () => {
  it("passes every test shipped with the example bundle", async () => {
    const report = await runPolicyTests(governanceSource());
    const failures = report.results
      .filter((r) => !r.passed)
      .map((r) => `${r.file}:${r.line} ${r.name}: ${r.failures.join("; ")}`);
    expect(failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThanOrEqual(50);
    expect(report.bundle).toMatchObject({
      name: "example-governance",
      digest: expect.stringMatching(/^sha256:/) as string,
    });
    const files = new Set(report.results.map((r) => r.file));
    expect(files).toEqual(
      new Set(["tests/controls.yaml", "tests/decision-matrix.yaml", "tests/source-material.yaml"]),
    );
  });

  it("covers every row of the example decision matrix", async () => {
    const report = await runPolicyTests(governanceSource());
    const matched = new Set(report.results.flatMap((r) => r.decision.matched.map((m) => m.ruleId)));
    const rows = [
      "code.development.patch",
      "code.staging.patch",
      "code.production.patch",
      "code.production.minor",
      "code.production.major",
      "security.any.any",
      "infrastructure.development.any",
      "infrastructure.production.any",
      "ai_agent_rule.any.any",
      "compliance.any.any",
    ];
    for (const row of rows) expect(matched).toContain(`matrix.${row}`);
  });

  it("reports what differs in a failing test, with its file and line", async () => {
    const source = createInMemoryBundleSource({
      ...FIXTURE_BASE,
      "rules.yaml": "rules:\n  - { id: grant, effect: allow, reason: ok }\n",
      "tests/t.yaml": [
        "tests:",
        "  - name: passes",
        "    request: { agentId: bot, action: x }",
        "    expect: { outcome: allow, rules: [grant] }",
        "  - name: fails",
        "    request: { agentId: bot, action: x }",
        "    expect: { outcome: deny, rules: [nope], notRules: [grant], reasonContains: [forbidden] }",
        "",
      ].join("\n"),
    });
    const report = await runPolicyTests(source);
    expect(report).toMatchObject({ passed: 1, failed: 1 });
    expect(report.results[1]).toMatchObject({
      file: "tests/t.yaml",
      line: 5,
      name: "fails",
      passed: false,
      failures: [
        "outcome: expected deny, got allow (ok)",
        'rule id "nope" is not in the bundle',
        "rules: expected nope to match; matched [grant]",
        "notRules: grant matched",
        'reasonContains: no reason contains "forbidden" (reasons: ok)',
      ],
    });
  });

  it("throws a BundleError locating problems in test files", async () => {
    const source = createInMemoryBundleSource({
      ...FIXTURE_BASE,
      "tests/bad.yaml": [
        "tests:",
        "  - name: typo",
        "    request: { agentId: bot, acton: x }",
        "    expect: { outcome: maybe }",
        "",
      ].join("\n"),
    });
    const err = await runPolicyTests(source).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).issues.map(formatIssue)).toEqual([
      "tests/bad.yaml:3:14 tests[0].request.action: is required",
      "tests/bad.yaml:3:30 tests[0].request.acton: unknown field",
      expect.stringMatching(/^tests\/bad\.yaml:4:24 tests\[0\]\.expect\.outcome: Invalid option/),
    ]);
  });
});
