import { describe, expect, it } from "vitest";
import type { LinkClaims } from "../../domain/link-token.ts";
import { createFakeVoteSubmitter } from "../../adapters/fakes/fake-vote-submitter.ts";
import { grant, T0 } from "../../testing/link-fixtures.ts";
import { html } from "./html.ts";
import { confirmationPage, refusalPage } from "./link-pages.ts";

const claims = (over: Partial<LinkClaims> = {}): LinkClaims => ({
  ...grant(),
  linkId: "l-1",
  issuedAt: T0,
  expiresAt: new Date(T0.getTime() + 900_000),
  ...over,
});

const fake = createFakeVoteSubmitter(() => T0);
fake.add({ actionId: "act-1", agentId: "deploy-bot", required: 2, eligibleRoles: ["team-lead"] });
const pending = await fake.read("act-1");

const confirm = (
  over: Partial<LinkClaims> = {},
  extra: { used?: boolean; bearerRequired?: boolean; none?: boolean } = {},
) =>
  confirmationPage({
    claims: claims(over),
    approval: extra.none === true ? undefined : pending,
    used: extra.used ?? false,
    bearerRequired: extra.bearerRequired ?? false,
    action: "/approvals/links/tok",
    token: "tok",
  });

describe("link pages", () => {
  it("escape every value taken from the request (summary, agent, approver, environment)", () => {
    const page = confirm({
      summary: `<script>alert(1)</script> & "quotes"`,
      agentId: "<img src=x onerror=alert(1)>",
      approver: `al"ice' onmouseover="x`,
      environment: "</dd><b>prod</b>",
    });
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<b>prod");
    expect(page).not.toContain(`al"ice`);
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;");
    expect(page).toContain("al&quot;ice&#39; onmouseover=&quot;x");
  });

  it("escape the refusal message and action id", () => {
    const page = refusalPage({ reason: "vote_refused", message: "<b>no</b>", actionId: `"><svg>` });
    expect(page).toContain("&lt;b&gt;no&lt;/b&gt;");
    expect(page).not.toContain("<svg>");
  });

  it("show what the person is about to do, a labelled form that POSTs back, and no external resource", () => {
    const page = confirm();
    expect(page).toContain('<html lang="en">');
    expect(page).toMatch(/<h1>Approve this action\?<\/h1>/);
    expect(page).toContain('<form method="post" action="/approvals/links/tok">');
    expect(page).toMatch(/<input type="hidden" name="token" value="tok"\s*\/?>/);
    expect(page).toMatch(/<label for="comment"\s*>Comment \(optional\)<\/label\s*>/);
    expect(page).not.toContain('name="bearer"');
    expect(page).not.toMatch(/<script|<link |src=|https?:\/\//);
  });

  it("ask for the sign-in token at high risk and a reason to reject", () => {
    const page = confirm({ decision: "reject", risk: "high" }, { bearerRequired: true });
    expect(page).toContain('<label for="bearer">Your sign-in token (required for high risk)</label>');
    expect(page).toMatch(/<textarea\s+id="comment"\s+name="comment"\s+rows="3"\s+required\s*>/);
    expect(page).toContain('<button type="submit" class="reject">Reject</button>');
  });

  it("show no form for a used link or an approval that is not pending", () => {
    const page = confirm({}, { used: true });
    expect(page).not.toContain("<form");
    expect(page).toContain("This link was already used");
    expect(confirm({}, { none: true })).toContain("There is no pending approval for this action");
    expect(confirm({}, { none: true })).not.toContain("<form");
  });

  it("the html tag refuses to interpolate objects it cannot escape", () => {
    expect(() => html`${{ a: 1 }}`).toThrow(TypeError);
    expect(html`${["<a>", html`<b></b>`]}${0}${undefined}`.__html).toBe("&lt;a&gt;<b></b>0");
  });
});
