// Headless Chromium (playwright-core driving Debian's /usr/bin/chromium): open a link as a chat
// client would, screenshot the confirmation page, press Approve, see the vote recorded (through the
// VoteSubmitter fake held to its contract, with single use in the real KV bucket), screenshot the
// result. Screenshots land in test/screenshots/ (committed; look at them when the pages change).
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grant, linkWorld } from "../src/testing/link-fixtures.ts";
import type { LinkWorld } from "../src/testing/link-fixtures.ts";
import { approvalLinkUrl } from "../src/transport/http/approval-links-http.ts";
import { kvNamespace, startLinkServer } from "./link-support.ts";
import type { KvNamespace, LinkServer } from "./link-support.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), "screenshots");

let ns: KvNamespace;
let w: LinkWorld;
let server: LinkServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium`);
  ns = await kvNamespace("links-browser");
  w = await linkWorld({ used: await ns.used() });
  server = await startLinkServer(w.links);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  await mkdir(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await ns?.close();
});

describe("an approval link in a real browser", () => {
  it("opens the confirmation page, votes on Approve, and shows the result", async () => {
    const page = await browser.newPage({ viewport: { width: 720, height: 760 } });
    const { token } = await w.tokens.issue(
      grant({
        summary: "code.deploy via github.merge on service/payments-api — fix <rounding> bug (JIRA-7)",
      }),
    );
    await page.goto(approvalLinkUrl(server.baseUrl)(token));

    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Approve this action?");
    expect(await page.getByText("fix <rounding> bug").count()).toBe(1); // escaped, shown as text
    await page.screenshot({ path: join(SHOTS, "link-confirmation.png") });
    expect(w.votes.accepted).toHaveLength(0); // opening the page voted nothing

    await page.getByLabel("Comment (optional)").fill("Reviewed the diff; rollback plan is fine.");
    await Promise.all([
      page.waitForURL(/approvals\/links/),
      page.getByRole("button", { name: "Approve" }).click(),
    ]);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Approval recorded");
    await page.screenshot({ path: join(SHOTS, "link-approved.png") });
    expect(w.votes.accepted).toEqual([
      {
        actionId: "act-1",
        vote: {
          voter: { type: "human", id: "alice", roles: ["team-lead"] },
          decision: "approve",
          comment: "Reviewed the diff; rollback plan is fine.",
        },
      },
    ]);

    // Reopening the link (back button, a second click in chat) offers no form any more.
    await page.goto(approvalLinkUrl(server.baseUrl)(token));
    expect(await page.locator("form").count()).toBe(0);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("already used");
    await page.close();
  });

  it("a high-risk link asks for the sign-in token and refuses without it, with a clear page", async () => {
    const page = await browser.newPage({ viewport: { width: 720, height: 640 } });
    const { token } = await w.tokens.issue(grant({ approver: "bob", risk: "high", decision: "reject" }));
    await page.goto(approvalLinkUrl(server.baseUrl)(token));
    await expect(
      page.getByLabel("Your sign-in token (required for high risk)").getAttribute("type"),
    ).resolves.toBe("password");
    // Submit with a wrong person's token: the page names the refusal and nothing is counted.
    const alice = await w.issuer.issue({ sub: "alice", roles: ["team-lead"] });
    await page.getByLabel("Your sign-in token (required for high risk)").fill(alice);
    await page.getByLabel("Reason (required)").fill("not during the freeze");
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Reject" }).click(),
    ]);
    expect(response.status()).toBe(403);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "This link is for someone else",
    );
    await page.screenshot({ path: join(SHOTS, "link-refused.png") });
    expect(w.votes.accepted.filter((v) => v.vote.voter.id === "bob")).toHaveLength(0);
    await page.close();
  });
});
