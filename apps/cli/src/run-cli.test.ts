// The commands in-process (runCli with buffers for stdout, stderr and stdin): fast, every detail.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCli } from "./run-cli.ts";
import {
  GOVERNANCE,
  SUMMARY,
  breakRule,
  copyGovernance,
  flipFirstExpectation,
  governanceVariant,
} from "./test-fixtures.ts";

async function cli(args: readonly string[], stdin = "") {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    out: (t) => (stdout += t),
    err: (t) => (stderr += t),
    readStdin: () => Promise.resolve(stdin),
  });
  return { code, stdout, stderr };
}

let tmp = "";
let flipped = "";
let brokenBundle = "";
let brokenTest = "";
let noTests = "";

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "warden-cli-"));
  noTests = join(tmp, "no-tests");
  [flipped, brokenBundle, brokenTest] = await Promise.all([
    governanceVariant(tmp, "flipped", "tests/source-material.yaml", flipFirstExpectation),
    governanceVariant(tmp, "broken-bundle", "rules.yaml", breakRule),
    governanceVariant(tmp, "broken-test", "tests/controls.yaml", (t) =>
      t.replace(/outcome: \w+/, "outcome: maybe"),
    ),
    copyGovernance(tmp, "no-tests").then(async (dir) => {
      await rm(join(dir, "tests"), { recursive: true });
      await mkdir(join(dir, "tests"));
    }),
  ]);
});

afterAll(async () => {
  if (tmp !== "") await rm(tmp, { recursive: true, force: true });
});

describe("policy check", () => {
  test("a valid bundle: digest and counts", async () => {
    const run = await cli(["policy", "check", GOVERNANCE]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^ok sha256:[0-9a-f]{64} \(27 rules, 7 agents, 11 workflows\)\n$/);
  });

  test("an invalid bundle: a header, then every problem at the start of a line; exit 1", async () => {
    const run = await cli(["policy", "check", brokenBundle]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split("\n");
    expect(lines[0]).toBe(`${brokenBundle}: policy bundle is invalid (1 problem)`);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${brokenBundle}/rules\\.yaml:\\d+:\\d+ rules\\[\\d+\\]\\.when: rule "transaction\\.limit": CEL`,
      ),
    );
  });

  test("a file instead of a directory: exit 2", async () => {
    const run = await cli(["policy", "check", join(GOVERNANCE, "rules.yaml")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("rules.yaml: not a directory");
  });
});

describe("policy test", () => {
  test("--verbose adds each test's decision", async () => {
    const run = await cli(["policy", "test", GOVERNANCE, "--verbose"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^bundle example-governance sha256:/);
    expect(run.stdout).toMatch(/^ +decision: deny, risk high, matched \[transaction\.limit/m);
    expect(run.stdout).toMatch(/^ +approval: production_deployment, 2 approvers/m);
  });

  test("--format json: only JSON on stdout, the summary on stderr", async () => {
    const run = await cli(["policy", "test", flipped, "--format", "json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      bundle: { digest: string };
      failed: number;
      results: { file: string; passed: boolean; failures: string[] }[];
    };
    expect(report.failed).toBe(1);
    const failure = report.results.find((r) => !r.passed);
    expect(failure?.file).toBe(join(flipped, "tests/source-material.yaml"));
    expect(failure?.failures[0]).toMatch(/^outcome: expected allow, got deny/);
    expect(run.stderr).toMatch(SUMMARY);
  });

  test("--format junit: one suite per file, the failure with its message", async () => {
    const run = await cli(["policy", "test", flipped, "--format", "junit"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
    expect(run.stdout.match(/<testsuite /g)).toHaveLength(3);
    expect(run.stdout).toContain('<failure message="outcome: expected allow, got deny');
    expect(run.stdout).toContain(
      'name="financial-advisor $5,000 transaction is denied, naming the $1,000 limit"',
    );
    expect(run.stderr).toMatch(SUMMARY);
  });

  test("an invalid test file: located issue, exit 2", async () => {
    const run = await cli(["policy", "test", brokenTest]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/tests\/controls\.yaml:\d+:\d+ tests\[\d+\]\.expect\.outcome: /);
  });

  test("an invalid bundle with --format json: the issues as JSON too", async () => {
    const run = await cli(["policy", "test", brokenBundle, "--format", "json"]);
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as { error: string; issues: { file: string; field: string }[] };
    expect(doc.error).toBe("invalid");
    expect(doc.issues[0]).toMatchObject({ file: join(brokenBundle, "rules.yaml"), field: "rules[10].when" });
  });

  test("no tests: exit 2, not a silent pass", async () => {
    const run = await cli(["policy", "test", noTests]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${join(noTests, "tests")}: no policy tests (add *.yaml test files there)\n`);
  });

  test("--help: exit 0, documents the exit codes", async () => {
    const run = await cli(["policy", "test", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Exit 0 all passed, 1 some failed, 2 invalid bundle");
  });
});

describe("policy explain", () => {
  const explain = (request: string, ...options: string[]) =>
    cli(
      [
        "policy",
        "explain",
        "--bundle",
        GOVERNANCE,
        "--request",
        "-",
        "--time",
        "2026-03-10T10:00:00Z",
        ...options,
      ],
      request,
    );

  test("an approval: workflow, approvers, escalation, AI role", async () => {
    const run = await explain(
      "{ agentId: release-pipeline, action: change.deploy, changeType: code, environment: production, versionChange: patch }",
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^outcome +approval_required$/m);
    expect(run.stdout).toMatch(/^approval +production_deployment$/m);
    expect(run.stdout).toMatch(/^ +approvers +2$/m);
    expect(run.stdout).toMatch(/^ +escalation +engineering-lead after 30m$/m);
    expect(run.stdout).toMatch(
      /^ +matched +approval_required +matrix\.code\.production\.patch .*decision-matrix\.yaml:\d+\)$/m,
    );
    expect(run.stdout).toMatch(/^ +condition_false +deny +freeze\.year-end +condition false: inPeriod/m);
    expect(run.stdout).toMatch(/the index selected \d+: .*matrix\.code\.production\.patch/);
  });

  test("a contract at 20:00 UTC: business hours deny", async () => {
    const run = await cli(
      ["policy", "explain", "-b", GOVERNANCE, "-r", "-", "--time", "2026-03-10T20:00:00Z", "--json"],
      "{ agentId: financial-advisor, action: contract.sign }",
    );
    const doc = JSON.parse(run.stdout) as { decision: { outcome: string; reasons: string[] } };
    expect(doc.decision.outcome).toBe("deny");
    expect(doc.decision.reasons.join(" ")).toContain("09:00-17:00 UTC");
  });

  test("--agent differs from the payload: identity.mismatch", async () => {
    const run = await explain(
      "{ agentId: financial-advisor, action: transaction.execute, amount: 10 }",
      "--agent",
      "customer-support",
    );
    expect(run.stdout).toMatch(/^outcome +deny$/m);
    expect(run.stdout).toMatch(/^agent +customer-support \(authenticated\)$/m);
    expect(run.stdout).toMatch(/^ +deny +identity\.mismatch/m);
  });

  test("--stop-state: an active stop covering the request denies", async () => {
    const run = await explain(
      "{ agentId: knowledge-base-qa, action: kb.search }",
      "--stop-state",
      "agent:knowledge-base-qa",
    );
    expect(run.stdout).toMatch(/^stop state +active: agent knowledge-base-qa$/m);
    expect(run.stdout).toMatch(/^ +deny +killswitch\.active/m);
  });

  test("missing fields: each named, located at the request", async () => {
    const run = await explain("amount: 5\n");
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "<stdin>:1:1 agentId: required (string)\n<stdin>:1:1 action: required (string)\n",
    );
  });

  test("not a mapping, unparsable, bad option values: exit 2 with one clear line", async () => {
    expect(await explain("- a\n- b\n")).toMatchObject({
      code: 2,
      stderr: "<stdin>: expected a request mapping (agentId, action, …), got a list\n",
    });
    expect(await explain("agentId: a\nagentId: b\n")).toMatchObject({
      code: 2,
      stderr: "<stdin>:2:1: not valid YAML or JSON: Map keys must be unique\n",
    });
    const badStop = await explain("{}", "--stop-state", "paused");
    expect(badStop.code).toBe(2);
    expect(badStop.stderr).toContain('"paused" is not a stop state');
    const missingBundle = await cli(["policy", "explain", "-b", join(tmp, "none"), "-r", "-"], "{}");
    expect(missingBundle).toMatchObject({ code: 2, stderr: `${join(tmp, "none")}: no such directory\n` });
  });
});
