import { commonV1, killswitchV1 } from "@warden/contracts";
import { Status } from "nice-grpc";
import { beforeEach, describe, expect, it } from "vitest";
import { browser, consoleWorld, NOW, refuse, signIn } from "../testing/fakes.ts";
import type { Browser, World } from "../testing/fakes.ts";
import { parseActivation, resumeProgress } from "./stop.ts";

const { ScopeKind } = killswitchV1;
const human = (id: string, roles: string[]) => ({ type: commonV1.ActorType.ACTOR_TYPE_HUMAN, id, roles });
const policyAck = (instanceId: string, epoch: number) => ({
  consumer: { type: commonV1.ActorType.ACTOR_TYPE_SERVICE, id: "policy", roles: [] },
  instanceId,
  epoch,
  acknowledgedAt: new Date(NOW.getTime() - 3000),
});

const clear = (): killswitchV1.StatusResponse =>
  killswitchV1.StatusResponse.fromPartial({
    epoch: 4,
    state: { epoch: 4, active: false },
    consumers: [{ acknowledgement: policyAck("policy-a", 4), confirmed: true, ageMs: 3000 }],
  });

const active = (approvals: killswitchV1.DeactivationApproval[] = []): killswitchV1.StatusResponse =>
  killswitchV1.StatusResponse.fromPartial({
    epoch: 7,
    state: {
      epoch: 7,
      active: true,
      scopes: [{ kind: ScopeKind.SCOPE_KIND_ENVIRONMENT, value: "ENVIRONMENT_PRODUCTION" }],
      reason: "refund bot <script>alert(1)</script> loops",
      activatedBy: human("olga", ["on-call-engineer"]),
      activatedAt: new Date(NOW.getTime() - 5 * 60_000),
      deactivationApprovals: approvals,
    },
    scopes: [
      {
        scope: { kind: ScopeKind.SCOPE_KIND_ENVIRONMENT, value: "ENVIRONMENT_PRODUCTION" },
        active: true,
        epoch: 7,
      },
    ],
    consumers: [
      { acknowledgement: policyAck("policy-a", 7), confirmed: true, ageMs: 2000 },
      { acknowledgement: policyAck("policy-b", 6), confirmed: false, ageMs: 40_000 },
    ],
  });

let w: World;
let b: Browser;

beforeEach(async () => {
  w = await consoleWorld();
  b = browser(w.app);
});

describe("emergency stop page", () => {
  it("shows that nothing is stopped, with the activation form, from Status called with the person's token", async () => {
    w.backends.answers["killSwitch.status"] = () => clear();
    await signIn(b, "olga", "on-call-engineer");
    const r = await b.get("/stop");
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain("No emergency stop is active");
    expect(text).toContain('action="/stop/activate"');
    expect(text).toContain('<label for="stop-reason">Reason (required)</label>');
    expect(text).toContain("1 of 1 consumers confirmed epoch 4");
    expect(text).toContain('src="/static/console.js"');
    expect(text).not.toContain("Resume (two people)");
    const call = w.backends.calls.find((c) => c.method === "killSwitch.status");
    expect(await w.issuer.verifier().verify(call?.token ?? "")).toMatchObject({ id: "olga" });
  });

  it("shows an active stop: scopes, epoch, who, why (escaped), since when, and acknowledgement progress", async () => {
    w.backends.answers["killSwitch.status"] = () => active();
    await signIn(b, "olga", "on-call-engineer");
    const text = await (await b.get("/stop")).text();
    expect(text).toContain("Emergency stop ACTIVE");
    expect(text).toContain("environment production");
    expect(text).toContain("olga (human)");
    expect(text).toContain("refund bot &lt;script&gt;alert(1)&lt;/script&gt; loops");
    expect(text).not.toContain("<script>alert(1)");
    expect(text).toContain("2026-12-03 11:55:00 UTC (5 min ago)");
    expect(text).toContain("1 of 2 consumers confirmed epoch 7");
    expect(text).toMatch(/policy-b<\/code><\/td>\s*<td>6<\/td>\s*<td>✘ not yet/);
    expect(text).toContain("Nobody has asked to resume yet.");
  });

  it("an answer without a state shows the stop as UNKNOWN, never as clear (control: with a clear state, clear)", async () => {
    w.backends.answers["killSwitch.status"] = () => killswitchV1.StatusResponse.fromPartial({ epoch: 3 });
    await signIn(b, "olga", "on-call-engineer");
    const text = await (await b.get("/stop")).text();
    expect(text).toContain("Stop state UNKNOWN");
    expect(text).not.toContain("No emergency stop is active");
    w.backends.answers["killSwitch.status"] = () => clear();
    expect(await (await b.get("/stop")).text()).toContain("No emergency stop is active");
  });

  it("the polled fragment is the acknowledgement table alone (no page frame)", async () => {
    w.backends.answers["killSwitch.status"] = () => active();
    await signIn(b, "olga", "on-call-engineer");
    const r = await b.get("/stop/acks");
    const text = await r.text();
    expect(r.status).toBe(200);
    expect(text).toContain("1 of 2 consumers confirmed epoch 7");
    expect(text).not.toContain("<html");
  });

  it("a Status refusal is shown with the service's reason", async () => {
    w.backends.answers["killSwitch.status"] = () => refuse(Status.UNAVAILABLE, "connection refused");
    await signIn(b, "olga", "on-call-engineer");
    const r = await b.get("/stop");
    expect(r.status).toBe(502);
    expect(await r.text()).toContain(
      "The kill-switch service is not answering (UNAVAILABLE): connection refused",
    );
  });
});

describe("activating a stop", () => {
  beforeEach(async () => {
    w.backends.answers["killSwitch.status"] = () => clear();
    await signIn(b, "olga", "on-call-engineer");
    await b.get("/stop");
  });

  it("refuses a missing reason naming the field, without calling the service", async () => {
    const r = await b.post("/stop/activate", { scope_kind: "global", reason: " " });
    expect(r.status).toBe(400);
    expect(await r.text()).toContain("reason: required");
    expect(w.backends.calls.some((c) => c.method === "killSwitch.activate")).toBe(false);
  });

  it("names a bad scope field", () => {
    expect(parseActivation({ scope_kind: "planet", reason: "x" }).problems).toEqual([
      "scope_kind: must be one of global, environment, agent, service",
    ]);
    expect(
      parseActivation({ scope_kind: "environment", environment: "moon", reason: "x" }).problems[0],
    ).toMatch(/^environment: must be one of production/);
    expect(parseActivation({ scope_kind: "agent", target: "", reason: "x" }).problems[0]).toMatch(
      /^target: the agent id/,
    );
    expect(parseActivation({ scope_kind: "service", target: "payments-api", reason: "x" }).scope).toEqual({
      kind: ScopeKind.SCOPE_KIND_SERVICE,
      value: "payments-api",
    });
  });

  it("activates as the signed-in person (a form field cannot name someone else) and redirects", async () => {
    w.backends.answers["killSwitch.activate"] = () => ({ state: active().state });
    const r = await b.post("/stop/activate", {
      scope_kind: "environment",
      environment: "production",
      target: "",
      reason: "refund bot loops",
      actor: "mallory",
      user: "mallory",
    });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/stop?done=activated");
    const call = w.backends.calls.find((c) => c.method === "killSwitch.activate");
    expect(call?.request).toEqual({
      scopes: [{ kind: ScopeKind.SCOPE_KIND_ENVIRONMENT, value: "ENVIRONMENT_PRODUCTION" }],
      reason: "refund bot loops",
    });
    expect(await w.issuer.verifier().verify(call?.token ?? "")).toMatchObject({ id: "olga" });
    const after = await (await b.get("/stop?done=activated")).text();
    expect(after).toContain("The emergency stop is active.");
  });

  it("shows the service's refusal (e.g. a role that may not activate) as it says it", async () => {
    w.backends.answers["killSwitch.activate"] = () =>
      refuse(Status.PERMISSION_DENIED, "activation needs one of on-call-engineer, engineering-lead");
    const r = await b.post("/stop/activate", {
      scope_kind: "agent",
      target: "refund-bot",
      reason: "it <loops>",
    });
    expect(r.status).toBe(403);
    const text = await r.text();
    // What was typed comes back (escaped), so nothing is typed twice in an incident.
    expect(text).toContain('value="agent" checked');
    expect(text).toContain('value="refund-bot"');
    expect(text).toContain(">it &lt;loops&gt;</textarea>");
    expect(text).toContain(
      "Refused by the kill-switch service: activation needs one of on-call-engineer, engineering-lead",
    );
  });
});

describe("two-person resume", () => {
  const first = killswitchV1.DeactivationApproval.fromPartial({
    approver: human("erin", ["engineering-lead"]),
    approvedAt: new Date(NOW.getTime() - 60_000),
  });

  it("shows who already asked and that a second, distinct person with the other role is needed", async () => {
    w.backends.answers["killSwitch.status"] = () => active([first]);
    await signIn(b, "sam", "security-lead");
    const text = await (await b.get("/stop")).text();
    expect(text).toMatch(
      /<strong>erin<\/strong>\s*\(engineering-lead\) asked to resume at 2026-12-03 11:59:00 UTC/,
    );
    expect(text.replace(/\s+/g, " ")).toContain(
      "A second, distinct person is needed, holding <strong>security-lead</strong>",
    );
    expect(text).not.toContain("You already asked to resume");
    expect(text).toContain('name="epoch" value="7"');
  });

  it("tells the first person that they cannot count twice", async () => {
    w.backends.answers["killSwitch.status"] = () => active([first]);
    await signIn(b, "erin", "engineering-lead");
    expect(await (await b.get("/stop")).text()).toContain("You already asked to resume");
  });

  it("computes the missing role from the approvers' roles", () => {
    expect(resumeProgress(active().state).missing).toEqual(["engineering-lead", "security-lead"]);
    expect(resumeProgress(active([first]).state).missing).toEqual(["security-lead"]);
  });

  it("forwards the resume with the page's epoch as the person; the first approval is reported as recorded", async () => {
    w.backends.answers["killSwitch.status"] = () => active();
    w.backends.answers["killSwitch.deactivate"] = () => ({
      deactivated: false,
      missingRoles: ["security-lead"],
    });
    await signIn(b, "erin", "engineering-lead");
    await b.get("/stop");
    const r = await b.post("/stop/resume", {
      epoch: "7",
      review_ref: "INC-1",
      root_cause: "bad config",
      prevention: "canary",
      re_enable_agents: "refund-bot, ",
    });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/stop?done=resume-recorded");
    const call = w.backends.calls.find((c) => c.method === "killSwitch.deactivate");
    expect(call?.request).toEqual({
      epoch: 7,
      reviewRef: "INC-1",
      rootCause: "bad config",
      prevention: "canary",
      reEnableAgents: ["refund-bot"],
      scopes: [],
    });
    expect(await w.issuer.verifier().verify(call?.token ?? "")).toMatchObject({ id: "erin" });
  });

  it("names missing resume fields and shows a refusal with the service's reason", async () => {
    w.backends.answers["killSwitch.status"] = () => active([first]);
    await signIn(b, "erin", "engineering-lead");
    await b.get("/stop");
    const bad = await b.post("/stop/resume", { epoch: "7", review_ref: "", root_cause: "", prevention: "x" });
    expect(bad.status).toBe(400);
    const badText = await bad.text();
    expect(badText).toContain("review_ref: the post-incident review reference");
    expect(badText).toContain("root_cause: required");
    w.backends.answers["killSwitch.deactivate"] = () =>
      refuse(
        Status.PERMISSION_DENIED,
        "erin already approved; a second person holding security-lead must approve",
      );
    const r = await b.post("/stop/resume", {
      epoch: "7",
      review_ref: "INC-1",
      root_cause: "bad config",
      prevention: "canary",
    });
    expect(r.status).toBe(403);
    const refused = await r.text();
    expect(refused).toContain('value="INC-1"');
    expect(refused).toContain(">bad config</textarea>");
    expect(refused).toContain(
      "Refused by the kill-switch service: erin already approved; a second person holding security-lead must approve",
    );
  });

  it("lifting names the chosen scopes", async () => {
    const two = active();
    two.state?.scopes.push({ kind: ScopeKind.SCOPE_KIND_AGENT, value: "refund-bot" });
    w.backends.answers["killSwitch.status"] = () => two;
    w.backends.answers["killSwitch.deactivate"] = () => ({ deactivated: true, missingRoles: [] });
    await signIn(b, "sam", "security-lead");
    const text = await (await b.get("/stop")).text();
    expect(text).toContain('value="SCOPE_KIND_AGENT:refund-bot"');
    const r = await b.post("/stop/resume", {
      epoch: "7",
      review_ref: "INC-1",
      root_cause: "c",
      prevention: "p",
      scope: "SCOPE_KIND_AGENT:refund-bot",
    });
    expect(r.headers.get("location")).toBe("/stop?done=resumed");
    const call = w.backends.calls.find((c) => c.method === "killSwitch.deactivate");
    expect((call?.request as { scopes: unknown }).scopes).toEqual([
      { kind: ScopeKind.SCOPE_KIND_AGENT, value: "refund-bot" },
    ]);
  });
});
