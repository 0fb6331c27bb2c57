import { approvalV1, commonV1 } from "@warden/contracts";
import { Status } from "nice-grpc";
import { beforeEach, describe, expect, it } from "vitest";
import { browser, consoleWorld, pendingApproval, refuse, signIn } from "../testing/fakes.ts";
import type { Browser, World } from "../testing/fakes.ts";
import { stillNeeded } from "./approvals.ts";

let w: World;
let b: Browser;

beforeEach(async () => {
  w = await consoleWorld();
  b = browser(w.app);
});

describe("sign-in (development)", () => {
  it("sends an anonymous visitor to the sign-in page, labelled as development", async () => {
    const r = await b.get("/approvals");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/sign-in?next=%2Fapprovals");
    const page = await (await b.get("/sign-in")).text();
    expect(page).toContain("Sign in (development)");
    expect(page).toMatch(/<label for="user">User id<\/label>/);
  });

  it("sets an HttpOnly, SameSite=Strict session cookie holding a token the verifier accepts", async () => {
    const r = await signIn(b, "alice", "team-lead, auditor");
    expect(r.status).toBe(303);
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith("warden_session="));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const token = b.cookies.get("warden_session") ?? "";
    await expect(w.issuer.verifier().verify(token)).resolves.toMatchObject({
      id: "alice",
      type: "human",
      roles: ["team-lead", "auditor"],
    });
  });

  it("names the field that is wrong", async () => {
    await b.get("/sign-in");
    const r = await b.post("/sign-in", { user: "", roles: "Team Lead" });
    expect(r.status).toBe(400);
    const text = await r.text();
    expect(text).toContain("user: 1 to 64");
    expect(text).toContain("roles: Team Lead: lower-case");
    expect(b.cookies.has("warden_session")).toBe(false);
  });

  it("refuses a POST without the CSRF token or from another origin (control: with both, it passes)", async () => {
    await b.get("/sign-in");
    const noToken = await b.post("/sign-in", { user: "alice", roles: "" }, { csrf: null });
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain("_csrf: the form");
    const wrong = await b.post("/sign-in", { user: "alice", roles: "" }, { csrf: "forged" });
    expect(wrong.status).toBe(403);
    const otherSite = await b.post("/sign-in", { user: "alice", roles: "" }, { origin: "http://evil.test" });
    expect(otherSite.status).toBe(403);
    expect(b.cookies.has("warden_session")).toBe(false);
    const ok = await b.post("/sign-in", { user: "alice", roles: "" });
    expect(ok.status).toBe(303);
  });

  it("a session token the verifier refuses ends the session", async () => {
    b.cookies.set("warden_session", await w.issuer.issue({ sub: "alice", expiresIn: "-1m" }));
    const r = await b.get("/approvals");
    expect(r.status).toBe(303);
    expect(b.cookies.has("warden_session")).toBe(false);
  });

  it("sign-out clears the session", async () => {
    await signIn(b, "alice", "");
    await b.get("/sign-in");
    await b.post("/sign-out", {});
    expect(b.cookies.has("warden_session")).toBe(false);
  });

  it("serves a strict content security policy (only this origin)", async () => {
    const r = await b.get("/sign-in");
    expect(r.headers.get("content-security-policy")).toContain("default-src 'self'");
  });
});

describe("pending approvals", () => {
  beforeEach(async () => {
    await signIn(b, "alice", "team-lead");
    w.backends.answers["approval.listPending"] = () => ({
      approvals: [pendingApproval()],
      nextPageToken: "",
    });
    w.backends.answers["approval.get"] = () => ({ approval: pendingApproval() });
  });

  it("lists them with the person's own token and the filters as the API takes them", async () => {
    const r = await b.get("/approvals?agent=release-pipeline&environment=production&risk=high&mine=on");
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain("act-1");
    expect(text).toContain("0 of 2");
    expect(text).toContain("30 min");
    const call = w.backends.calls.find((c) => c.method === "approval.listPending");
    expect(call?.token).toBe(b.cookies.get("warden_session"));
    expect(call?.request).toMatchObject({
      mine: true,
      agentId: "release-pipeline",
      environment: commonV1.Environment.ENVIRONMENT_PRODUCTION,
      riskLevel: commonV1.RiskLevel.RISK_LEVEL_HIGH,
    });
  });

  it("filters by age (at least this old) and rejects an unknown filter value by name", async () => {
    expect(await (await b.get("/approvals?age=1h")).text()).toContain("No pending approvals match.");
    expect(await (await b.get("/approvals?age=15m")).text()).toContain("act-1");
    const bad = await b.get("/approvals?environment=moon");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("environment: must be one of development, staging, production");
  });

  it("shows the detail an approver needs, escaped", async () => {
    const text = await (await b.get("/approvals/act-1")).text();
    expect(text).toContain("ship &lt;2.4.0&gt;");
    expect(text).toContain("prod.minor");
    expect(text).toContain("2 more approval(s), including team-lead");
    expect(text).toContain("in 1 h 30 min");
    expect(text).toContain("tests green, canary healthy");
    expect(text).toContain("reviewer-bot");
    expect(text).toContain("diff is small");
  });

  it("votes with the person's token and the digest shown, then says it was recorded", async () => {
    w.backends.answers["approval.decide"] = () => ({ approval: pendingApproval() });
    await b.get("/approvals/act-1");
    const r = await b.post("/approvals/act-1/decide", {
      decision: "approve",
      comment: "ok",
      request_digest: "sha256:abc",
    });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/approvals/act-1?voted=approve");
    const call = w.backends.calls.find((c) => c.method === "approval.decide");
    expect(call).toMatchObject({
      token: b.cookies.get("warden_session"),
      request: {
        actionId: "act-1",
        decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
        comment: "ok",
        requestDigest: "sha256:abc",
      },
    });
    expect(await (await b.get("/approvals/act-1?voted=approve")).text()).toContain(
      "Your approval was recorded.",
    );
  });

  it("shows the API's refusal as a clear message (self_approval)", async () => {
    w.backends.answers["approval.decide"] = () =>
      refuse(Status.PERMISSION_DENIED, "self_approval: carol asked for this action and cannot approve it");
    await b.get("/approvals/act-1");
    const r = await b.post("/approvals/act-1/decide", { decision: "approve", request_digest: "sha256:abc" });
    expect(r.status).toBe(403);
    const text = await r.text();
    expect(text).toMatch(/role="alert">Refused by the approval service: self_approval: carol asked/);
    expect(w.logged.some((l) => l.message === "vote refused")).toBe(true);
  });

  it("checks the form before asking: reject needs a comment, delegate a person (nothing sent)", async () => {
    await b.get("/approvals/act-1");
    const reject = await b.post("/approvals/act-1/decide", { decision: "reject", comment: "" });
    expect(reject.status).toBe(400);
    expect(await reject.text()).toContain("comment: required to reject");
    const delegate = await b.post("/approvals/act-1/decide", { decision: "delegate" });
    expect(await delegate.text()).toContain("delegate_to: name the person");
    const unknown = await b.post("/approvals/act-1/decide", { decision: "maybe" });
    expect(await unknown.text()).toContain("decision: must be one of approve, reject");
    expect(w.backends.calls.some((c) => c.method === "approval.decide")).toBe(false);
  });

  it("a service that does not answer is named", async () => {
    w.backends.answers["approval.listPending"] = () => refuse(Status.UNAVAILABLE, "connect ECONNREFUSED");
    const r = await b.get("/approvals");
    expect(r.status).toBe(502);
    expect(await r.text()).toContain("The approval service is not answering (UNAVAILABLE)");
  });
});

describe("stillNeeded", () => {
  it("counts approvals left and required roles no approver holds", () => {
    const a = pendingApproval({
      votes: [
        {
          voter: commonV1.Actor.fromPartial({
            type: commonV1.ActorType.ACTOR_TYPE_HUMAN,
            id: "bob",
            roles: ["on-call-engineer"],
          }),
          decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
          comment: "",
          delegateTo: "",
          counted: true,
        },
      ],
    });
    expect(stillNeeded(a)).toEqual({ approvals: 1, roles: ["team-lead"] });
  });
});
