// The composition the service root calls, end to end on real NATS: notify the approvers of a
// pending approval, take the Approve link out of the notice, open it, POST its form: one vote.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { parseConfig } from "@warden/config";
import { createDevIssuer } from "@warden/identity";
import { createLogger } from "@warden/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApprovalInput } from "../src/workflows/contract.ts";
import { createInMemoryLinkRefusals } from "../src/adapters/fakes/in-memory-link-refusals.ts";
import { createInMemoryNotifier } from "../src/adapters/fakes/in-memory-notifier.ts";
import { createFakeVoteSubmitter } from "../src/adapters/fakes/fake-vote-submitter.ts";
import { createApprovalLinks } from "../src/create-approval-links.ts";
import type { ApprovalLinks } from "../src/create-approval-links.ts";
import { approvalLinkKeys } from "../src/transport/http/links-config.ts";
import { kvNamespace } from "./link-support.ts";
import type { KvNamespace } from "./link-support.ts";

let ns: KvNamespace;
let server: ReturnType<typeof createServer>;
let baseUrl: string;
let wired: ApprovalLinks;
const votes = createFakeVoteSubmitter();
const chat = createInMemoryNotifier();
const refusals = createInMemoryLinkRefusals();

beforeAll(async () => {
  ns = await kvNamespace("links-root");
  const holder: { http?: ApprovalLinks["http"] } = {};
  server = createServer((req, res) => {
    void (async () => {
      if (holder.http === undefined || !(await holder.http(req, res))) res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = parseConfig(z.object({ ...approvalLinkKeys }), {
    APPROVAL_LINK_BASE_URL: baseUrl,
    APPROVAL_LINK_SIGNING_KEY: "integration-signing-key-0123456789abcdef",
    APPROVAL_LINK_APPROVERS: JSON.stringify({ alice: ["team-lead"], bob: ["finance"] }),
  });
  const issuer = await createDevIssuer({ issuer: "https://id.test/", audience: "warden" });
  wired = await createApprovalLinks({
    config,
    nc: ns.nc,
    topology: ns.t,
    verifier: issuer.verifier(),
    vote: votes.submit,
    read: votes.read,
    refusals,
    log: createLogger({ service: "links-root", level: "silent" }),
    fallbackNotifier: chat,
  });
  holder.http = wired.http;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ns.close();
});

describe("createApprovalLinks", () => {
  it("notifies with personal links that vote once through the real bucket", async () => {
    votes.add({ actionId: "act-root", agentId: "deploy-bot", required: 1, eligibleRoles: ["team-lead"] });
    const view = await votes.read("act-root");
    if (view === undefined) throw new Error("fixture missing");
    const input = {
      actionId: "act-root",
      agentId: "deploy-bot",
      risk: "medium",
      environment: "staging",
      decision: { request: { action: "code.deploy", target: "service/web" } },
    } as unknown as ApprovalInput;
    const notice = await wired.notifier.notifyApprovers(input, view);
    expect(chat.sent).toHaveLength(1);
    expect(notice.links.map((l) => l.approver)).toEqual(["alice"]);
    const approveUrl = notice.links[0]?.approveUrl ?? "";
    expect(approveUrl.startsWith(`${baseUrl}/approvals/links/`)).toBe(true);

    expect((await fetch(approveUrl)).status).toBe(200);
    expect(votes.accepted).toHaveLength(0);
    const token = approveUrl.slice(`${baseUrl}/approvals/links/`.length);
    const form = () =>
      fetch(approveUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: baseUrl },
        body: new URLSearchParams({ token }),
      });
    expect((await form()).status).toBe(200);
    expect((await form()).status).toBe(409);
    expect(votes.accepted.map((v) => v.vote.voter.id)).toEqual(["alice"]);
    expect((await votes.read("act-root"))?.status).toBe("approved");
    expect(refusals.refusals.map((r) => r.reason)).toEqual(["reused"]);
  });
});
