// The `warden` command as CI runs it: a child process, its output and exit code. The details of
// each command are tested in-process (run-cli.test.ts); this file checks the process contract.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REPO_ROOT, SUMMARY, breakRule, flipFirstExpectation, governanceVariant } from "./test-fixtures.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node main.ts ARGS` from the repo root, so `governance` is a relative bundle path. */
function warden(args: readonly string[], stdin = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: REPO_ROOT, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let tmp = "";
let flipped = "";
let broken = "";

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "warden-cli-main-"));
  [flipped, broken] = await Promise.all([
    governanceVariant(tmp, "flipped", "tests/source-material.yaml", flipFirstExpectation),
    governanceVariant(tmp, "broken", "rules.yaml", breakRule),
    writeFile(
      join(tmp, "bad-request.yaml"),
      "agentId: financial-advisor\naction: transaction.execute\namount: lots\n",
    ),
  ]);
});

afterAll(async () => {
  if (tmp !== "") await rm(tmp, { recursive: true, force: true });
});

// Each test starts one node process (~0.5 s); a busy CI machine gets headroom.
describe("warden (child process)", { timeout: 20_000 }, () => {
  test("policy test governance: every test passes, summary line, exit 0", async () => {
    const run = await warden(["policy", "test", "governance"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const [, passed, failed] = SUMMARY.exec(run.stdout) ?? [];
    expect(Number(passed)).toBeGreaterThan(50);
    expect(failed).toBe("0");
    expect(run.stdout).toMatch(
      /^PASS governance\/tests\/source-material\.yaml:\d+ financial-advisor \$5,000/m,
    );
    expect(run.stdout).not.toMatch(/^FAIL/m);
  });

  test("policy test, one expectation flipped: FAIL with what differed, exit 1", async () => {
    const run = await warden(["policy", "test", flipped]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^FAIL .*tests\/source-material\.yaml:\d+ financial-advisor \$5,000 transaction/m,
    );
    expect(run.stdout).toMatch(/^ +outcome: expected allow, got deny \(transaction of \$5,000 exceeds/m);
    expect(SUMMARY.exec(run.stdout)?.[2]).toBe("1");
  });

  test("policy test, invalid bundle: file:line:col field: reason, exit 2", async () => {
    const run = await warden(["policy", "test", broken]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^.*broken\/rules\.yaml:\d+:\d+ rules\[\d+\]\.when: .*No such key: amont$/m);
    expect(run.stdout).not.toMatch(SUMMARY);
  });

  test("policy explain, the $5,000 financial-advisor transaction: deny, transaction.limit, $1,000", async () => {
    const run = await warden(
      ["policy", "explain", "--bundle", "governance", "--time", "2026-03-10T10:00:00Z", "--request", "-"],
      "{ agentId: financial-advisor, action: transaction.execute, amount: 5000, currency: USD, environment: production }",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^outcome +deny$/m);
    expect(run.stdout).toMatch(/^ +deny +transaction\.limit +.*limit of \$1,000/m);
  });

  test("policy explain, malformed request: file:line:col field: reason, exit 2", async () => {
    const file = join(tmp, "bad-request.yaml");
    const run = await warden(["policy", "explain", "--bundle", "governance", "--request", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${file}:3:9 amount: Invalid input: expected number, received string\n`);
    expect(run.stdout).toBe("");
  });

  test("a missing directory: one line naming it, exit 2", async () => {
    const run = await warden(["policy", "check", "no-such-bundle"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("no-such-bundle: no such directory\n");
  });

  test("a usage error exits 2 (never 1, which CI reads as failed tests)", async () => {
    const run = await warden(["policy", "test"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("missing required argument 'dir'");
  });
});
