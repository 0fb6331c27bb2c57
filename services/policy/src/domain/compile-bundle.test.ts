import { describe, expect, it } from "vitest";
import { fixtureFiles } from "../testing/bundle-fixtures.ts";
import { BundleError, formatIssue } from "./bundle-error.ts";
import { compileBundle } from "./compile-bundle.ts";

function errorsOf(overrides: Record<string, string | undefined>): string[] {
  try {
    compileBundle(fixtureFiles(overrides));
  } catch (err) {
    expect(err).toBeInstanceOf(BundleError);
    return (err as BundleError).issues.map(formatIssue);
  }
  throw new Error("bundle compiled, expected errors");
}

const rules = (...lines: string[]): Record<string, string> => ({
  "rules.yaml": ["rules:", ...lines, ""].join("\n"),
});

describe("compileBundle", () => {
  it("compiles a valid bundle and versions it by content digest", () => {
    const bundle = compileBundle(fixtureFiles(rules("  - { id: r1, effect: allow, reason: ok }")));
    expect(bundle.name).toBe("fixture");
    expect(bundle.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(bundle.rules.map((r) => r.id)).toEqual(["r1"]);
    expect(bundle.files).toEqual([
      "agents.yaml",
      "bundle.yaml",
      "risk-levels.yaml",
      "rules.yaml",
      "workflows.yaml",
    ]);

    const reordered = new Map(
      [...fixtureFiles(rules("  - { id: r1, effect: allow, reason: ok }"))].reverse(),
    );
    expect(compileBundle(reordered).digest).toBe(bundle.digest);
    const changed = compileBundle(fixtureFiles(rules("  - { id: r1, effect: allow, reason: ok! }")));
    expect(changed.digest).not.toBe(bundle.digest);
  });

  it("names file, line, column and field for a schema error", () => {
    expect(errorsOf(rules("  - id: r1", "    effect: alow", "    reason: ok"))).toEqual([
      'rules.yaml:3:13 rules[0].effect: Invalid option: expected one of "allow"|"deny"|"approval_required"',
    ]);
  });

  it("points at a misspelt key and at a missing one", () => {
    expect(errorsOf(rules("  - id: r1", "    effect: deny", "    mdoe: shadow", "    reason: ok"))).toEqual([
      "rules.yaml:4:5 rules[0].mdoe: unknown field",
    ]);
    expect(errorsOf(rules("  - id: r1", "    effect: deny"))).toEqual([
      "rules.yaml:2:5 rules[0].reason: is required",
    ]);
  });

  it("reports YAML syntax errors with their line and column", () => {
    const [first] = errorsOf({ "agents.yaml": "agents:\n  - id: [unclosed\n" });
    expect(first).toMatch(/^agents\.yaml:3:1: YAML: /);
    // A tab in indentation and a duplicate key, each at the character where it is.
    expect(errorsOf(rules("  - id: r1", "    effect: deny", "\treason: ok"))[0]).toMatch(
      /^rules\.yaml:4:1: YAML: /,
    );
    expect(errorsOf(rules("  - id: r1", "    effect: deny", "    reason: ok", "    effect: allow"))).toEqual([
      "rules.yaml:5:5: YAML: Map keys must be unique",
    ]);
  });

  it("reports a CEL syntax error with file, line, column and rule id", () => {
    // The error is at the end of `request.amount >` (column 11 + 16).
    const errors = errorsOf(
      rules("  - id: bad.syntax", "    effect: deny", "    reason: x", "    when: request.amount >"),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^rules\.yaml:5:27 rules\[0\]\.when: rule "bad\.syntax": CEL syntax error: /);
  });

  it("reports CEL type errors: unknown fields and non-bool conditions", () => {
    const errors = errorsOf(
      rules(
        "  - id: typo",
        "    effect: deny",
        "    reason: x",
        '    when: "request.amout > 10.0"',
        "  - id: not-bool",
        "    effect: deny",
        "    reason: x",
        "    when: |",
        "      request.amount",
      ),
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^rules\.yaml:5:\d+ rules\[0\]\.when: rule "typo": CEL type error: .*amout/);
    expect(errors[1]).toMatch(
      /^rules\.yaml:\d+:\d+ rules\[1\]\.when: rule "not-bool": CEL type error: a condition must be bool/,
    );
  });

  it("checks literal arguments of the custom functions at load time", () => {
    const errors = errorsOf(
      rules(
        "  - id: tz",
        "    effect: deny",
        "    reason: x",
        `    when: inWindow(now, "09:00", "25:00", "Mars/Olympus", ["Mon", "Funday"])`,
      ),
    );
    expect(errors.join("\n")).toMatch(/rule "tz": inWindow: "25:00" is not a time of day/);
    expect(errors.join("\n")).toMatch(/rule "tz": inWindow: unknown time zone "Mars\/Olympus"/);
    expect(errors.join("\n")).toMatch(/rule "tz": inWindow: "Funday" is not a weekday/);
  });

  it("checks references between files", () => {
    const errors = errorsOf({
      ...rules(
        "  - { id: dup, effect: allow, reason: a }",
        "  - { id: dup, effect: allow, reason: b }",
        "  - { id: needs-approval, effect: approval_required, reason: c }",
        "  - { id: wrong-workflow, effect: approval_required, reason: d, approval: { workflow: nope } }",
        "  - { id: stray-approval, effect: deny, reason: e, approval: { workflow: review } }",
        "  - { id: ghost, effect: allow, reason: f, match: { agents: [ghost-agent] }, risk: extreme }",
        "  - { id: placeholder, effect: deny, reason: 'limit {agent.limitz}' }",
      ),
    });
    expect(errors).toEqual([
      expect.stringMatching(
        /^rules\.yaml:3:\d+ rules\[1\]\.id: duplicate rule id "dup" \(also in rules\.yaml:2\)$/,
      ),
      expect.stringMatching(
        /^rules\.yaml:4:\d+ rules\[2\]\.approval: is required when effect is approval_required$/,
      ),
      expect.stringMatching(
        /^rules\.yaml:5:\d+ rules\[3\]\.approval\.workflow: unknown workflow "nope"; defined: review, strict$/,
      ),
      expect.stringMatching(
        /^rules\.yaml:6:\d+ rules\[4\]\.approval: only allowed when effect is approval_required/,
      ),
      expect.stringMatching(
        /^rules\.yaml:7:\d+ rules\[5\]\.risk: unknown risk level "extreme"; defined: low, medium, high$/,
      ),
      expect.stringMatching(/^rules\.yaml:7:\d+ rules\[5\]\.match\.agents\[0\]: unknown agent "ghost-agent"/),
      expect.stringMatching(/^rules\.yaml:8:\d+ rules\[6\]\.reason: unknown placeholder \{agent\.limitz\}/),
    ]);
  });

  it("refuses a workflow that would let AI approve", () => {
    const workflows = fixtureFiles()
      .get("workflows.yaml")
      ?.replace("mayRecommend: true, mayApprove: false", "mayRecommend: true, mayApprove: true");
    expect(errorsOf({ "workflows.yaml": workflows })).toEqual([
      expect.stringMatching(/^workflows\.yaml:7:\d+ workflows\[0\]\.ai\.mayApprove: AI may never approve$/),
    ]);
  });

  it("validates the decision matrix", () => {
    const errors = errorsOf({
      "decision-matrix.yaml": [
        "rows:",
        "  - { changeType: code, environment: prod, approvers: 2, ai: recommend, risk: high }",
        "  - { changeType: code, environment: prod, approvers: 0, ai: auto_deploy, risk: low }",
        "  - { changeType: code, environment: dev, approvers: 0, ai: analyze, risk: low }",
        "",
      ].join("\n"),
    });
    expect(errors).toEqual([
      "decision-matrix.yaml:2:5 rows[0].workflow: is required when approvers > 0",
      expect.stringMatching(
        /^decision-matrix\.yaml:3:\d+ rows\[1\]: same change type, environment and version as rows\[0\]$/,
      ),
      expect.stringMatching(
        /^decision-matrix\.yaml:4:\d+ rows\[2\]\.workflow: is required when ai is analyze/,
      ),
    ]);
  });

  it("collects every problem across files into one BundleError", () => {
    const errors = errorsOf({
      "bundle.yaml": "apiVersion: warden.dev/policy/v2\nname: x\n",
      "risk-levels.yaml": undefined,
      "extra.yaml": "a: 1\n",
      ...rules("  - { id: r, effect: maybe, reason: x }"),
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        "extra.yaml:0:0: unknown bundle file; expected bundle.yaml, risk-levels.yaml, agents.yaml, decision-matrix.yaml, rules.yaml, workflows.yaml, rollback.yaml",
        "risk-levels.yaml:0:0: required file is missing",
        expect.stringMatching(/^bundle\.yaml:1:13 apiVersion: /),
        expect.stringMatching(/^rules\.yaml:2:\d+ rules\[0\]\.effect: /),
      ]),
    );
    expect(errors).toHaveLength(4);
  });

  it("builds the error message from the issues", () => {
    try {
      compileBundle(fixtureFiles(rules("  - { id: r, effect: deny }")));
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe(
        "policy bundle is invalid (1 problem):\n  rules.yaml:2:5 rules[0].reason: is required",
      );
    }
  });
});
