// `warden approvals …` as a child process against a STAND-IN of the public ApprovalService API
// (test/support/approval-stand-in.ts: in-memory, with the refusal codes the proto documents), while
// the real approval service is being built. Once it is merged, the same commands must be run
// against it (integration: add a test over services/approval).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { freePort } from "@warden/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { pendingApproval, startApprovalStandIn } from "./support/approval-stand-in.ts";
import type { ApprovalStandIn } from "./support/approval-stand-in.ts";
import { json, warden } from "./support/run-warden.ts";

let dir = "";
let issuer: DevIssuer;
let standIn: ApprovalStandIn;
let env: Record<string, string>;
const token = (sub: string, roles: string[], type: "human" | "ai_agent" = "human") =>
  issuer.issue({ sub, roles, type });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-cli-approvals-"));
  issuer = await createDevIssuer({ issuer: "warden-cli-test", audience: "warden" });
  standIn = await startApprovalStandIn(issuer.verifier());
  env = { WARDEN_APPROVAL_ADDR: `127.0.0.1:${standIn.port}` };
});

afterAll(async () => {
  await standIn.stop();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  standIn.approvals.clear();
  standIn.approvals.set("act-1", pendingApproval("act-1"));
  standIn.approvals.set(
    "act-2",
    pendingApproval("act-2", { agentId: "billing-bot", eligibleRoles: ["team-lead"] }),
  );
});

// Each spawned CLI takes 1–4 s on a busy machine: generous per-test timeouts.
describe("warden approvals (child process, stand-in ApprovalService)", { timeout: 120_000 }, () => {
  test("list: a table of pending approvals; --json parses; --mine filters by the caller's roles", async () => {
    const alice = await token("alice", ["approver"]);
    const run = await warden(["approvals", "list", "--token", alice], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/act-1 .*pending.*deploy-bot.*change\.deploy.*production.*high.*0\/2/);
    expect(run.stdout).toMatch(/act-2/);

    const mine = await warden(["approvals", "list", "--mine", "--json"], { ...env, WARDEN_TOKEN: alice });
    expect(mine.code).toBe(0);
    const body = json(mine) as { approvals: { actionId: string }[] };
    expect(body.approvals.map((a) => a.actionId)).toEqual(["act-1"]);
  });

  test("show: the request, the requirement and the votes; an unknown id exits 4", async () => {
    const alice = await token("alice", ["approver"]);
    const run = await warden(["approvals", "show", "act-1", "--token", alice], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/requested by\s+rita \(human\)/);
    expect(run.stdout).toMatch(/requires\s+2 approver\(s\) from approver/);
    expect(run.stdout).toMatch(/no votes yet/);

    const missing = await warden(["approvals", "show", "act-404", "--token", alice, "--json"], env);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/^warden approvals show: not found: .*act-404/m);
    expect(json(missing)).toMatchObject({ error: { status: "NOT_FOUND", exitCode: 4 } });
  });

  test("two approvers approve: each vote recorded, the second reaches quorum (exit 0 twice)", async () => {
    const first = await warden(
      ["approvals", "approve", "act-1", "-m", "diff checked", "--token", await token("alice", ["approver"])],
      env,
    );
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/approve: recorded on act-1; the approval is now pending/);
    const second = await warden(
      ["approvals", "approve", "act-1", "--json", "--token", await token("bob", ["approver"])],
      env,
    );
    expect(second.code).toBe(0);
    expect(json(second)).toMatchObject({
      approval: { actionId: "act-1", status: "APPROVAL_STATUS_APPROVED" },
    });
  });

  test("refusals exit 1 with the service's reason on stderr: self-approval, role, second vote, AI voter, resolved", async () => {
    const self = await warden(
      ["approvals", "approve", "act-1", "--token", await token("rita", ["approver"])],
      env,
    );
    expect(self.code).toBe(1);
    expect(self.stdout).toBe("");
    expect(self.stderr).toMatch(
      /refused by the approval service .*rita requested act-1 and may not approve it/,
    );

    const role = await warden(
      ["approvals", "approve", "act-2", "--token", await token("alice", ["approver"])],
      env,
    );
    expect(role.code).toBe(1);
    expect(role.stderr).toMatch(/none of the eligible roles team-lead/);

    const alice = await token("alice", ["approver"]);
    expect((await warden(["approvals", "approve", "act-1", "--token", alice], env)).code).toBe(0);
    const twice = await warden(["approvals", "approve", "act-1", "--token", alice, "--json"], env);
    expect(twice.code).toBe(1);
    expect(json(twice)).toMatchObject({ error: { status: "FAILED_PRECONDITION", exitCode: 1 } });

    const agent = await warden(
      ["approvals", "approve", "act-1", "--token", await token("deploy-bot", ["approver"], "ai_agent")],
      env,
    );
    expect(agent.code).toBe(1);
    expect(agent.stderr).toMatch(/AI agent/);

    const reject = await warden(
      [
        "approvals",
        "reject",
        "act-1",
        "--comment",
        "freeze week",
        "--token",
        await token("carol", ["approver"]),
      ],
      env,
    );
    expect(reject.code).toBe(0);
    expect(reject.stdout).toMatch(/now rejected/);
    const late = await warden(
      ["approvals", "approve", "act-1", "--token", await token("dave", ["approver"])],
      env,
    );
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/already resolved/);
  });

  test("request-changes, escalate and delegate send their decision and fields", async () => {
    const alice = await token("alice", ["approver"]);
    const bob = await token("bob", ["approver"]);
    expect((await warden(["approvals", "escalate", "act-1", "--token", alice], env)).code).toBe(0);
    expect(standIn.approvals.get("act-1")?.escalationLevel).toBe(1);
    expect((await warden(["approvals", "delegate", "act-1", "--to", "erin", "--token", bob], env)).code).toBe(
      0,
    );
    expect(standIn.approvals.get("act-1")?.votes.at(-1)).toMatchObject({
      decision: "VOTE_DECISION_DELEGATE",
      delegateTo: "erin",
    });
    const changes = await warden(
      [
        "approvals",
        "request-changes",
        "act-1",
        "-m",
        "stage it first",
        "--token",
        await token("carol", ["approver"]),
      ],
      env,
    );
    expect(changes.code).toBe(0);
    expect(standIn.approvals.get("act-1")?.status).toBe("APPROVAL_STATUS_CHANGES_REQUESTED");
  });

  test("usage errors exit 2 before any call: reject without a comment, delegate without --to, no token", async () => {
    const alice = await token("alice", ["approver"]);
    const noComment = await warden(["approvals", "reject", "act-1", "--token", alice], env);
    expect(noComment.code).toBe(2);
    expect(noComment.stderr).toMatch(/--comment/);
    const blank = await warden(["approvals", "reject", "act-1", "--comment", " ", "--token", alice], env);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toMatch(/--comment: required for reject/);
    const noTo = await warden(["approvals", "delegate", "act-1", "--token", alice], env);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toMatch(/--to/);
    const noToken = await warden(["approvals", "list", "--json"], env);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/needs a bearer token: pass --token TOKEN, set WARDEN_TOKEN/);
    expect(json(noToken)).toMatchObject({ error: { status: "USAGE", exitCode: 2 } });
    // Nothing reached the service.
    expect(standIn.approvals.get("act-1")?.votes).toEqual([]);
  });

  test("a bad token exits 1 (unauthenticated) and says how to get one; nobody listening exits 3", async () => {
    const bad = await warden(["approvals", "list", "--token", "not-a-jwt"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not authenticated/);
    expect(bad.stderr).toMatch(/warden dev token/);

    const port = await freePort();
    const down = await warden(["approvals", "list", "--token", "x", "--approval-addr", `127.0.0.1:${port}`]);
    expect(down.code).toBe(3);
    expect(down.stdout).toBe("");
    expect(down.stderr).toMatch(new RegExp(`the approval service at 127\\.0\\.0\\.1:${port} is unavailable`));
    expect(down.stderr).toMatch(/make up/);
  });
});
