// The service root wires the chat notifier and the signed links (config keys APPROVAL_LINK_BASE_URL,
// APPROVAL_LINK_SIGNING_KEY, APPROVAL_SLACK_WEBHOOK_URL): a real decision event → the workflow's
// notify activity → a POST to a local webhook receiver with personal links → GET of a link shows the
// page and does not vote → POST (with the approver's bearer token: high risk) votes → approved, and
// the webhook hears the resolution. A link POST without a bearer is refused and published.
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Subscription } from "@nats-io/transport-node";
import { decodeEnvelope } from "@warden/messaging";
import type { Envelope } from "@warden/messaging";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { approvalDecision, publishDecision, startApprovalForTest, WAIT } from "./service-support.ts";
import type { ApprovalUnderTest } from "./service-support.ts";

const PUBLIC = "http://approvals.test";
let on: ApprovalUnderTest;
let receiver: Server;
const posts: { text: string; blocks: { type: string; elements?: { url?: string }[] }[] }[] = [];
const seen: Envelope[] = [];
let sub: Subscription;

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    void body(req).then((text) => {
      posts.push(JSON.parse(text) as (typeof posts)[number]);
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T0/B0/secret`;
  on = await startApprovalForTest({
    APPROVAL_LINK_BASE_URL: PUBLIC,
    APPROVAL_LINK_SIGNING_KEY: "root-links-signing-key-0123456789abcdef",
    APPROVAL_LINK_APPROVERS: JSON.stringify({ lead: ["engineering-lead"], boss: ["cto"] }),
    APPROVAL_SLACK_WEBHOOK_URL: webhook,
  });
  sub = on.nc.subscribe(on.t.subjects.allEvents);
  void (async () => {
    for await (const m of sub) seen.push(decodeEnvelope(m.data));
  })();
});

afterAll(async () => {
  sub?.unsubscribe();
  await on?.stop();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()) ?? resolve());
});

const linksOf = (post: (typeof posts)[number]): string[] =>
  post.blocks.flatMap((b) => (b.type === "actions" ? (b.elements ?? []).map((e) => e.url ?? "") : []));

describe("chat links wired into the service root", () => {
  it("a decision notifies the webhook with personal links; GET never votes, the POST does", async () => {
    const decision = approvalDecision();
    await publishDecision(on, decision);
    const asked = await vi.waitFor(() => {
      const post = posts.find((p) => p.text.includes("Approval needed") && p.text.includes("deploy"));
      if (post === undefined) throw new Error("no webhook post yet");
      return post;
    }, WAIT);
    const urls = linksOf(asked);
    // One Approve and one Reject link for `lead` (level 0 asks engineering-lead, not cto).
    expect(urls).toHaveLength(2);
    const approve = urls[0] ?? "";
    expect(approve.startsWith(`${PUBLIC}/approvals/links/`)).toBe(true);
    const local = approve.replace(PUBLIC, `http://127.0.0.1:${on.running.opsPort}`);
    const token = approve.slice(`${PUBLIC}/approvals/links/`.length);

    const page = await fetch(local);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<form");
    expect((await on.running.service.get(decision.actionId)).votes).toHaveLength(0);

    const post = (headers: Record<string, string> = {}) =>
      fetch(local, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: PUBLIC, ...headers },
        body: new URLSearchParams({ token }),
      });
    // High risk: the link alone is not enough; the refusal is an event.
    expect((await post()).status).toBe(401);
    await vi.waitFor(() => {
      const refused = seen.find(
        (e) => e.type === "warden.approval.refused" && e.actionId === decision.actionId,
      );
      expect(refused?.data).toMatchObject({ code: "link_unauthenticated", attempt: "vote" });
    }, WAIT);

    const bearer = await on.issuer.issue({ sub: "lead", roles: ["engineering-lead"], type: "human" });
    expect((await post({ authorization: `Bearer ${bearer}` })).status).toBe(200);
    expect((await on.running.service.get(decision.actionId)).status).toBe("approved");
    await vi.waitFor(() => {
      expect(posts.some((p) => p.text.startsWith("Approval approved") && linksOf(p).length === 0)).toBe(true);
    }, WAIT);
  });

  it("other paths of the ops port still answer (health)", async () => {
    expect((await fetch(`http://127.0.0.1:${on.running.opsPort}/healthz`)).status).toBe(200);
  });
});
