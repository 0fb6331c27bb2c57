// The link endpoints over a real HTTP server, with single use in the real JetStream KV bucket:
// GET never votes, two concurrent POSTs of one link vote once, CSRF (origin) and refusal statuses.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grant, linkWorld } from "../src/testing/link-fixtures.ts";
import type { LinkWorld } from "../src/testing/link-fixtures.ts";
import { approvalLinkUrl } from "../src/transport/http/approval-links-http.ts";
import { kvNamespace, startLinkServer } from "./link-support.ts";
import type { KvNamespace, LinkServer } from "./link-support.ts";

let ns: KvNamespace;
let w: LinkWorld;
let server: LinkServer;
let linkUrl: (token: string) => string;

beforeAll(async () => {
  ns = await kvNamespace("links-http");
  w = await linkWorld({ used: await ns.used() });
  server = await startLinkServer(w.links);
  linkUrl = approvalLinkUrl(server.baseUrl);
});
afterAll(async () => {
  await server.close();
  await ns.close();
});

const post = (token: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  fetch(linkUrl(token), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.baseUrl, ...headers },
    body: new URLSearchParams({ token, ...fields }),
  });

describe("approval link endpoints", () => {
  it("GET (and HEAD) show the confirmation page and never vote, however often prefetched", async () => {
    const { token, claims } = await w.tokens.issue(grant({ actionId: "act-1" }));
    const before = w.votes.accepted.length;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(linkUrl(token));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(await res.text()).toContain("Approve this action?");
    }
    expect((await fetch(linkUrl(token), { method: "HEAD" })).status).toBe(200);
    expect(w.votes.accepted.length).toBe(before);
    expect(await ns.used().then((u) => u.isUsed(claims.linkId))).toBe(false);
  });

  it("two concurrent POSTs of the same link vote exactly once; the other is told it was used", async () => {
    w.votes.add({ actionId: "act-race", agentId: "bot", required: 3, eligibleRoles: ["team-lead"] });
    const { token } = await w.tokens.issue(grant({ actionId: "act-race" }));
    const answers = await Promise.all([post(token), post(token)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const pages = await Promise.all(answers.map((r) => r.text()));
    expect(pages.some((p) => p.includes("Approval recorded"))).toBe(true);
    expect(pages.some((p) => p.includes("This link was already used"))).toBe(true);
    expect(w.votes.accepted.filter((v) => v.actionId === "act-race")).toHaveLength(1);
    expect((await w.votes.read("act-race"))?.approvals).toBe(1);
  });

  it("refuses a POST from another origin (CSRF) without voting or using the link", async () => {
    w.votes.add({ actionId: "act-csrf", agentId: "bot", required: 2, eligibleRoles: ["team-lead"] });
    const { token } = await w.tokens.issue(grant({ actionId: "act-csrf" }));
    const evil = await post(token, {}, { origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(await evil.text()).toContain("votes are accepted only from the confirmation page");
    const noOrigin = await fetch(linkUrl(token), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }),
    });
    expect(noOrigin.status).toBe(403);
    expect(w.votes.accepted.filter((v) => v.actionId === "act-csrf")).toHaveLength(0);
    // Control: the same link from the page's own origin (Referer only) votes.
    const ok = await post(token, {}, { origin: "", referer: `${linkUrl(token)}` });
    expect(ok.status).toBe(200);
  });

  it("answers each refusal with its page and status, and records it", async () => {
    const before = w.refusals.refusals.length;
    const { token } = await w.tokens.issue(grant({ actionId: "act-1" }));
    const tampered = await post(`${token.slice(0, -3)}abc`);
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain("This link is not valid");

    const high = await w.tokens.issue(grant({ actionId: "act-1", risk: "critical" }));
    const noBearer = await post(high.token);
    expect(noBearer.status).toBe(401);
    expect(await noBearer.text()).toContain("needs your own sign-in token");

    const bob = await w.issuer.issue({ sub: "bob", roles: ["sre"] });
    const wrong = await post(high.token, {}, { authorization: `Bearer ${bob}` });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain("this link is for alice");

    const mallory = await w.tokens.issue(grant({ actionId: "act-1", approver: "mallory" }));
    const self = await post(mallory.token);
    expect(self.status).toBe(403);
    expect(await self.text()).toContain("mallory asked for this action and cannot approve it");

    const reject = await w.tokens.issue(grant({ actionId: "act-1", decision: "reject" }));
    expect((await post(reject.token)).status).toBe(400);

    expect(w.refusals.refusals.slice(before).map((r) => r.reason)).toEqual([
      "tampered",
      "unauthenticated",
      "wrong_approver",
      "vote_refused",
      "invalid_input",
    ]);

    const expiring = await w.tokens.issue(grant({ actionId: "act-1" }));
    w.clock.advance(901);
    const expired = await post(expiring.token);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain("This link has expired");
  });
});
