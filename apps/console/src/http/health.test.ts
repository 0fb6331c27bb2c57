import type { approvalV1 } from "@warden/contracts";
import { auditV1, killswitchV1 } from "@warden/contracts";
import { Status } from "nice-grpc";
import { beforeEach, describe, expect, it } from "vitest";
import { browser, consoleWorld, NOW, pendingApproval, refuse, signIn } from "../testing/fakes.ts";
import type { Browser, World } from "../testing/fakes.ts";
import { BACKLOG_PAGES, decisionsOf, verifyFrom } from "./health.ts";

const POLICY_METRICS = `# HELP warden_policy_decisions_total Decisions made, by outcome
# TYPE warden_policy_decisions_total counter
warden_policy_decisions_total{outcome="allow"} 30
warden_policy_decisions_total{outcome="deny"} 8
warden_policy_decisions_total{outcome="approval_required"} 2
warden_policy_dry_runs_total{outcome="allow"} 5
`;

const verified = auditV1.VerifyResponse.fromPartial({
  ok: true,
  recordsChecked: 120,
  lastGoodSeq: 120,
  checkpointsChecked: 3,
  checkpointSource: auditV1.CheckpointSource.CHECKPOINT_SOURCE_STREAM,
});

let w: World;
let b: Browser;

const squash = async (r: Response) => (await r.text()).replace(/\s+/g, " ");

beforeEach(async () => {
  w = await consoleWorld();
  b = browser(w.app);
  w.backends.answers["approval.listPending"] = () => ({
    approvals: [
      pendingApproval({ actionId: "a1", createdAt: new Date(NOW.getTime() - 10 * 60_000) }),
      pendingApproval({
        actionId: "a2",
        createdAt: new Date(NOW.getTime() - 3 * 3600_000),
        escalationLevel: 1,
      }),
    ],
    nextPageToken: "",
  });
  w.backends.answers["killSwitch.status"] = () =>
    killswitchV1.StatusResponse.fromPartial({
      epoch: 9,
      state: {
        epoch: 9,
        active: true,
        scopes: [{ kind: killswitchV1.ScopeKind.SCOPE_KIND_GLOBAL, value: "" }],
        activatedAt: new Date(NOW.getTime() - 60_000),
      },
      consumers: [
        { confirmed: true, ageMs: 100 },
        { confirmed: false, ageMs: 100 },
      ],
    });
  w.backends.answers["audit.verify"] = () => verified;
  w.backends.metricsText.policy = POLICY_METRICS;
  w.backends.metricsText.audit = "warden_audit_head_seq 121\n";
  await signIn(b, "ivy", "auditor");
});

describe("governance health page", () => {
  it("shows the backlog (count, oldest, escalated), the stop, decisions by outcome and the verified chain", async () => {
    const r = await b.get("/health");
    expect(r.status).toBe(200);
    const text = await squash(r);
    expect(text).toContain('data-testid="backlog-count">2</p>');
    expect(text).toContain("3 h 0 min (since 2026-12-03 09:00:00 UTC)");
    expect(text).toMatch(/Escalated<\/dt> <dd>1<\/dd>/);
    expect(text).toContain("ACTIVE");
    expect(text).toContain("global (everything)");
    expect(text).toContain("1 of 2 consumers");
    expect(text).toMatch(/<td>allow<\/td> <td>30<\/td>/);
    expect(text).toMatch(/<td>deny<\/td> <td>8<\/td>/);
    expect(text).toContain('<meter min="0" max="40" value="30" aria-label="allow share"');
    expect(text).toContain("75 %");
    expect(text).toContain("Dry runs (evaluations on an agent's behalf, not counted): 5");
    expect(text).toContain("verified");
    expect(text).toContain("120");
    expect(text).toContain("3 (from stream)");
    expect(text).toContain("Head seq (audit /metrics)</dt> <dd>121</dd>");
    const tokens = w.backends.calls.map((c) => c.method).sort();
    expect(tokens).toEqual(["approval.listPending", "audit.verify", "killSwitch.status"]);
    for (const call of w.backends.calls)
      expect(await w.issuer.verifier().verify(call.token)).toMatchObject({ id: "ivy" });
  });

  it("verifies the whole chain while it is shorter than CONSOLE_HEALTH_VERIFY_LAST, else the newest records", async () => {
    await b.get("/health");
    expect(w.backends.calls.find((c) => c.method === "audit.verify")?.request).toEqual({
      fromSeq: 1,
      toSeq: 0,
    });
    expect(await squash(await b.get("/health"))).toContain("The whole chain, checked now.");
    const short = await consoleWorld({ healthVerifyLast: 100 });
    Object.assign(short.backends.answers, w.backends.answers);
    short.backends.metricsText.audit = "warden_audit_head_seq 121\n";
    const sb = browser(short.app);
    await signIn(sb, "ivy", "auditor");
    expect(await squash(await sb.get("/health"))).toContain("From seq 22 to the head, checked now.");
    expect(short.backends.calls.find((c) => c.method === "audit.verify")?.request).toEqual({
      fromSeq: 22,
      toSeq: 0,
    });
    expect(verifyFrom(undefined, 100)).toBe(1);
    expect(verifyFrom(50, 0)).toBe(1);
  });

  it("names the first bad record of a broken chain", async () => {
    w.backends.answers["audit.verify"] = () =>
      auditV1.VerifyResponse.fromPartial({
        ok: false,
        firstBadSeq: 42,
        problem: auditV1.Problem.PROBLEM_MODIFIED,
        detail: "seq 42: stored hash sha256:ab != recomputed sha256:9f",
        recordsChecked: 42,
        lastGoodSeq: 41,
      });
    const text = await squash(await b.get("/health"));
    expect(text).toContain("BROKEN");
    expect(text).toContain(
      "First bad record: seq 42 (modified) — seq 42: stored hash sha256:ab != recomputed sha256:9f",
    );
  });

  it("one service failing leaves the other panels, its own saying why", async () => {
    w.backends.answers["audit.verify"] = () => refuse(Status.PERMISSION_DENIED, "no audit role");
    w.backends.answers["approval.listPending"] = () => refuse(Status.UNAVAILABLE, "connection refused");
    delete w.backends.metricsText.policy;
    const r = await b.get("/health");
    expect(r.status).toBe(200);
    const text = await squash(r);
    expect(text).toContain("Refused by the audit service: no audit role");
    expect(text).toContain("The approval service is not answering (UNAVAILABLE): connection refused");
    expect(text).toContain("Not configured: set WARDEN_POLICY_METRICS_URL");
    expect(text).toContain("1 of 2 consumers");
  });

  it("a stop answer without a state is UNKNOWN, not clear", async () => {
    w.backends.answers["killSwitch.status"] = () => killswitchV1.StatusResponse.fromPartial({ epoch: 3 });
    const text = await squash(await b.get("/health"));
    expect(text).toMatch(
      /<section class="card stopped" aria-labelledby="h-stop"\s*> <h2 id="h-stop">Emergency stop<\/h2> <p class="metric">UNKNOWN<\/p>/,
    );
  });

  it("reads the backlog page by page and says 'at least' when it stops reading", async () => {
    let n = 0;
    w.backends.answers["approval.listPending"] = () => ({
      approvals: [pendingApproval({ actionId: `p${n}` })],
      nextPageToken: `t${++n}`,
    });
    const text = await squash(await b.get("/health"));
    expect(n).toBe(BACKLOG_PAGES);
    expect(text).toContain(`data-testid="backlog-count">≥ ${BACKLOG_PAGES}</p>`);
    const tokens = w.backends.calls
      .filter((c) => c.method === "approval.listPending")
      .map((c) => (c.request as approvalV1.ListPendingRequest).pageToken);
    expect(tokens.slice(0, 3)).toEqual(["", "t1", "t2"]);
  });

  it("sums decisions by outcome across label sets", () => {
    expect(
      decisionsOf(
        'warden_policy_decisions_total{outcome="allow",replica="a"} 2\nwarden_policy_decisions_total{outcome="allow",replica="b"} 3\n',
      ),
    ).toEqual({ byOutcome: [["allow", 5]], dryRuns: 0 });
  });
});
