// The Slack-compatible webhook notifier against a real local HTTP receiver: the payload, retries on
// 5xx / 429 / timeouts, no retry on other 4xx, and no secret (webhook path, link tokens) in logs.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ApprovalNotice } from "../src/domain/approval-notice.ts";
import {
  createSlackWebhookNotifier,
  slackMessageOf,
  WebhookDeliveryError,
} from "../src/adapters/http/slack-webhook-notifier.ts";

const SECRET_PATH = "/services/T000/B000/sekret-webhook-path";
type Received = { path: string; contentType: string; body: unknown };
let received: Received[] = [];
/** What the receiver answers, one entry per request (then 200). */
let script: (number | "hang")[] = [];
let server: ReturnType<typeof createServer>;
let url: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        path: req.url ?? "",
        contentType: req.headers["content-type"] ?? "",
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown,
      });
      const next = script.shift() ?? 200;
      if (next === "hang") return; // never answers: the client's timeout must fire
      res.writeHead(next, { "content-type": "text/plain" }).end(next === 200 ? "ok" : "no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SECRET_PATH}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received = [];
  script = [];
});

const logs: string[] = [];
const log = pino(
  { level: "info" },
  new Writable({ write: (c: Buffer, _e, cb) => (logs.push(c.toString()), cb()) }),
);

const notice: ApprovalNotice = {
  actionId: "act-42",
  agentId: "deploy-bot",
  requestedBy: "deploy-bot (launched by mallory)",
  action: "code.deploy",
  risk: "high",
  environment: "production",
  changeSummary: "code.deploy on service/payments-api — fix <rounding> & co",
  matchedRules: [{ ruleId: "prod-needs-two", reason: "production deploys need two approvers" }],
  aiRecommendation: { decision: "approve", rationale: "tests green, small diff" },
  votesNeeded: 2,
  missingRoles: ["sre"],
  deadline: "2026-06-01T11:00:00.000Z",
  links: [
    {
      approver: "alice",
      approveUrl: "https://a.test/approvals/links/TOKEN-A-APPROVE",
      rejectUrl: "https://a.test/approvals/links/TOKEN-A-REJECT",
    },
  ],
};

const notifier = (retries = 3, timeoutMs = 2000) =>
  createSlackWebhookNotifier({ url, timeoutMs, retries, minBackoffMs: 10, log });

describe("Slack-compatible webhook notifier", () => {
  it("POSTs text and blocks with everything an approver needs and the Approve / Reject links", async () => {
    await notifier().notify(notice);
    expect(received).toHaveLength(1);
    const [msg] = received;
    expect(msg?.path).toBe(SECRET_PATH);
    expect(msg?.contentType).toMatch(/^application\/json/);
    const body = msg?.body as { text: string; blocks: unknown[] };
    expect(body.text).toContain("Approval needed (high risk, production): deploy-bot asks to code.deploy");
    const flat = JSON.stringify(body.blocks);
    for (const part of [
      "deploy-bot (launched by mallory)",
      "production",
      "high",
      "fix &lt;rounding&gt; &amp; co",
      "prod-needs-two",
      "tests green, small diff",
      "2 more approvals, including sre",
      "2026-06-01T11:00:00.000Z",
      "https://a.test/approvals/links/TOKEN-A-APPROVE",
      "https://a.test/approvals/links/TOKEN-A-REJECT",
      "Approve as alice",
      "Reject as alice",
    ])
      expect(flat).toContain(part);
  });

  it("a change notice names its kind: blocked, break-glass, frozen", () => {
    const told = (kind: NonNullable<ApprovalNotice["kind"]>, status?: string) =>
      slackMessageOf({
        ...notice,
        kind,
        links: [],
        ...(status === undefined ? {} : { status }),
        reason: "why",
      });
    expect(told("resolved", "blocked").text).toMatch(/^Approval blocked \(high risk, production\)/);
    expect(told("break_glass").text).toMatch(/^BREAK-GLASS approval/);
    expect(told("frozen").text).toContain("frozen by an emergency stop");
    expect(JSON.stringify(told("resolved", "approved").blocks)).not.toContain("Approve as");
  });

  it("retries a 503, a 429 and a timeout, then delivers once", async () => {
    script = [503, 429, "hang"];
    await notifier(3, 300).notify(notice);
    expect(received).toHaveLength(4);
  });

  it("gives up after its retries with the last status", async () => {
    script = [500, 500, 500];
    await expect(notifier(2).notify(notice)).rejects.toMatchObject({ status: 500 });
    expect(received).toHaveLength(3);
  });

  it("does not retry a 400 (the payload or URL is wrong; retrying cannot help)", async () => {
    script = [400];
    const err = await notifier(3)
      .notify(notice)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookDeliveryError);
    expect(received).toHaveLength(1);
    // Control: the next notice goes through.
    await notifier(3).notify(notice);
    expect(received).toHaveLength(2);
  });

  it("never logs the webhook path or a link token, nor puts them in errors", async () => {
    script = [503, 400];
    const err = await notifier(3)
      .notify(notice)
      .catch((e: unknown) => e);
    const text = logs.join("\n") + String((err as Error).message) + String((err as Error).stack);
    expect(logs.length).toBeGreaterThan(0);
    expect(text).toContain("127.0.0.1");
    expect(text).not.toContain("sekret");
    expect(text).not.toContain("TOKEN-A");
  });
});
