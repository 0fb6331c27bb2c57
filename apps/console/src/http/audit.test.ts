import { auditV1, commonV1 } from "@warden/contracts";
import { Status } from "nice-grpc";
import { beforeEach, describe, expect, it } from "vitest";
import { browser, consoleWorld, NOW, refuse, signIn } from "../testing/fakes.ts";
import type { Browser, World } from "../testing/fakes.ts";
import { parseSearch, SEARCH_PAGE_SIZE, stageOf } from "./audit.ts";

const human = (id: string, roles: string[] = []) => ({
  type: commonV1.ActorType.ACTOR_TYPE_HUMAN,
  id,
  roles,
});

const rec = (
  seq: number,
  type: string,
  overrides: Parameters<typeof auditV1.AuditRecord.fromPartial>[0] = {},
): auditV1.AuditRecord =>
  auditV1.AuditRecord.fromPartial({
    seq,
    eventId: `ev-${seq}`,
    type,
    time: new Date(NOW.getTime() - (100 - seq) * 1000),
    actionId: "act-7",
    agentId: "release-pipeline",
    ...overrides,
  });

/** The trail of one action, deliberately out of seq order (the page sorts). */
const STORY = [
  rec(12, "warden.approval.vote_cast", {
    actor: human("tina", ["team-lead"]),
    outcome: "approve",
    approvals: [{ approver: human("tina", ["team-lead"]), decision: "approve" }],
  }),
  rec(10, "warden.action.requested", {
    actor: human("carol"),
    action: "change.deploy",
    target: "service/payments-api",
    environment: commonV1.Environment.ENVIRONMENT_PRODUCTION,
    reason: "ship <2.4.0>",
  }),
  rec(11, "warden.decision.made", { outcome: "approval_required", matchedRuleIds: ["prod.minor"] }),
  rec(13, "warden.action.verdict", { outcome: "approved" }),
  rec(14, "warden.action.executed", { outcome: "succeeded", source: "executor" }),
  rec(15, "warden.rollback.completed", { outcome: "rolled_back" }),
  rec(16, "warden.incident.opened", { reason: "error rate" }),
];

let w: World;
let b: Browser;
const squash = async (r: Response) => (await r.text()).replace(/\s+/g, " ");

async function* stream(records: auditV1.AuditRecord[], failAfter?: number) {
  let n = 0;
  for (const record of records) {
    if (failAfter !== undefined && n === failAfter) refuse(Status.UNAVAILABLE, "connection reset");
    n += 1;
    await Promise.resolve();
    yield auditV1.ExportResponse.fromPartial({ record });
  }
}

beforeEach(async () => {
  w = await consoleWorld();
  b = browser(w.app);
  await signIn(b, "ivy", "auditor");
});

describe("audit search", () => {
  it("shows the form without querying, then the results with the person's token and the filter", async () => {
    const empty = await b.get("/audit");
    expect(empty.status).toBe(200);
    expect(await squash(empty)).toContain('<a href="/audit" aria-current="page" >Audit</a');
    expect(w.backends.calls).toEqual([]);

    w.backends.answers["audit.query"] = () => ({ records: STORY.slice(0, 2), nextPageToken: "" });
    const r = await b.get(
      "/audit?action_id=act-7&agent=release-pipeline&actor=carol&from=2026-12-01&to=2026-12-03T10:00",
    );
    expect(r.status).toBe(200);
    const text = await squash(r);
    expect(text).toContain('<a href="/audit/actions/act-7"><code>act-7</code></a>');
    expect(text).toContain("<td>12</td>");
    expect(text).toContain("tina (human)");
    expect(text).toContain("<code>warden.action.requested</code>");
    expect(text).toContain('href="/audit/export?action_id=act-7&amp;agent=release-pipeline&amp;actor=carol');
    expect(text).not.toContain("Next page");
    const call = w.backends.calls.at(-1);
    expect(call?.method).toBe("audit.query");
    expect(call?.request).toEqual({
      filter: auditV1.AuditFilter.fromPartial({
        actionId: "act-7",
        agentId: "release-pipeline",
        actorId: "carol",
        startTime: new Date("2026-12-01T00:00:00Z"),
        endTime: new Date("2026-12-03T10:00:00Z"),
      }),
      pageSize: SEARCH_PAGE_SIZE,
      pageToken: "",
    });
    expect(await w.issuer.verifier().verify(call?.token ?? "")).toMatchObject({
      id: "ivy",
      roles: ["auditor"],
    });
  });

  it("pages with the service's page token", async () => {
    w.backends.answers["audit.query"] = (req: auditV1.QueryRequest) =>
      req.pageToken === ""
        ? { records: [rec(1, "warden.action.requested")], nextPageToken: "tok_2" }
        : { records: [rec(2, "warden.decision.made")], nextPageToken: "" };
    const first = await squash(await b.get("/audit?agent=release-pipeline"));
    const next = /href="([^"]*page_token=tok_2[^"]*)" rel="next"/.exec(first)?.[1];
    expect(next).toBe("/audit?agent=release-pipeline&amp;page_token=tok_2");
    const second = await squash(await b.get((next ?? "").replaceAll("&amp;", "&")));
    expect(second).toContain("<td>2</td>");
    expect(second).not.toContain("Next page");
    expect(w.backends.calls.at(-1)?.request).toMatchObject({ pageToken: "tok_2" });
  });

  it("names each bad field and calls nothing", async () => {
    const r = await b.get("/audit?action_id=%3Cx%3E&actor=&from=yesterday&to=2026-13-45T99");
    expect(r.status).toBe(400);
    const text = await squash(r);
    expect(text).toContain("action_id: 1 to 128 letters");
    expect(text).toContain("from: a time like 2026-03-10");
    expect(text).toContain("to: a time like");
    expect(text).toContain('value="&lt;x&gt;"');
    const order = await squash(await b.get("/audit?from=2026-12-03&to=2026-12-02"));
    expect(order).toContain("to: must be after from");
    expect(w.backends.calls).toEqual([]);
    expect(parseSearch(() => undefined).problems).toEqual([]);
  });

  it("shows the service's refusal", async () => {
    w.backends.answers["audit.query"] = () =>
      refuse(Status.PERMISSION_DENIED, "engineers see their own actions only");
    const r = await b.get("/audit?actor=carol");
    expect(r.status).toBe(403);
    expect(await squash(r)).toContain(
      'role="alert">Refused by the audit service: engineers see their own actions only</div>',
    );
  });
});

describe("the story of one action", () => {
  it("puts every record of the action in seq order under its stage, with the key facts (escaped)", async () => {
    w.backends.answers["audit.query"] = () => ({ records: STORY, nextPageToken: "" });
    const r = await b.get("/audit/actions/act-7");
    expect(r.status).toBe(200);
    const text = await squash(r);
    const order = ["request", "decision", "votes", "verdict", "execution", "rollback", "incident"].map((s) =>
      text.indexOf(`data-stage="${s}"`),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(text).toContain("7 audit records with this action id, in seq order. Seq 10 to 16.");
    expect(text).toContain("ship &lt;2.4.0&gt;");
    expect(text).toContain("change.deploy on service/payments-api");
    expect(text).toMatch(/Matched rules<\/dt> <dd>prod\.minor<\/dd>/);
    expect(text).toContain("tina (human) (team-lead): approve");
    expect(text).toMatch(/Outcome<\/dt> <dd>approved<\/dd>/);
    expect(text).toContain("production");
    expect(text).toContain('href="/audit/export?action_id=act-7"');
    expect(w.backends.calls[0]?.request).toMatchObject({ filter: { actionId: "act-7" }, pageSize: 1000 });
    expect(stageOf("warden.killswitch.activated")).toBe("other");
    expect(stageOf("warden.decision.deny")).toBe("decision");
  });

  it("reads every page of the action, refuses a bad id without a call, and shows a refusal", async () => {
    w.backends.answers["audit.query"] = (req: auditV1.QueryRequest) =>
      req.pageToken === ""
        ? { records: [STORY[1]], nextPageToken: "p2" }
        : { records: [STORY[2]], nextPageToken: "" };
    const text = await squash(await b.get("/audit/actions/act-7"));
    expect(text).toContain("2 audit records");
    expect(w.backends.calls.length).toBe(2);

    const bad = await b.get("/audit/actions/%3Cscript%3E");
    expect(bad.status).toBe(400);
    expect(await squash(bad)).toContain("actionId: 1 to 128 letters");
    expect(w.backends.calls.length).toBe(2);

    w.backends.answers["audit.query"] = () => refuse(Status.UNAVAILABLE, "No connection established");
    const down = await b.get("/audit/actions/act-7");
    expect(down.status).toBe(502);
    expect(await squash(down)).toContain("The audit service is not answering (UNAVAILABLE)");
  });
});

describe("verify", () => {
  it("says how many records verified through which seq, for the range typed", async () => {
    w.backends.answers["audit.verify"] = () =>
      auditV1.VerifyResponse.fromPartial({
        ok: true,
        recordsChecked: 91,
        lastGoodSeq: 100,
        checkpointsChecked: 2,
        checkpointSource: auditV1.CheckpointSource.CHECKPOINT_SOURCE_STREAM,
      });
    expect((await b.get("/audit/verify")).status).toBe(200);
    expect(w.backends.calls).toEqual([]);
    const r = await b.post("/audit/verify", { from_seq: "10", to_seq: "100" });
    expect(r.status).toBe(200);
    const text = await squash(r);
    expect(text).toContain('role="status">Verified 91 records through seq 100.</div>');
    expect(text).toContain("2 signed checkpoints checked (from stream)");
    expect(w.backends.calls.at(-1)?.request).toEqual({ fromSeq: 10, toSeq: 100 });
    await b.post("/audit/verify", { from_seq: "", to_seq: "" });
    expect(w.backends.calls.at(-1)?.request).toEqual({ fromSeq: 0, toSeq: 0 });
  });

  it("shows the first bad seq and the reason prominently", async () => {
    w.backends.answers["audit.verify"] = () =>
      auditV1.VerifyResponse.fromPartial({
        ok: false,
        firstBadSeq: 42,
        problem: auditV1.Problem.PROBLEM_MODIFIED,
        detail: "seq 42: stored hash sha256:ab != recomputed sha256:9f",
        recordsChecked: 42,
        lastGoodSeq: 41,
      });
    await b.get("/audit/verify");
    const r = await b.post("/audit/verify", {});
    expect(r.status).toBe(409);
    const text = await squash(r);
    expect(text).toContain('data-testid="verify-broken"> <p class="metric">BROKEN at seq 42</p>');
    expect(text).toContain("modified: seq 42: stored hash sha256:ab != recomputed sha256:9f");
    expect(text).toContain("last good seq 41");
  });

  it("names a bad seq field without a call, and shows a refusal", async () => {
    await b.get("/audit/verify");
    const r = await b.post("/audit/verify", { from_seq: "-3", to_seq: "x" });
    expect(r.status).toBe(400);
    const text = await squash(r);
    expect(text).toContain("from_seq: a seq, a whole number from 1");
    expect(text).toContain("to_seq: a seq, a whole number from 1");
    expect(text).toContain('value="-3"');
    expect(await squash(await b.post("/audit/verify", { from_seq: "9", to_seq: "3" }))).toContain(
      "to_seq: must not be before from_seq",
    );
    expect(w.backends.calls).toEqual([]);
    w.backends.answers["audit.verify"] = () =>
      refuse(Status.PERMISSION_DENIED, "verify needs an all-scope role");
    const refused = await b.post("/audit/verify", {});
    expect(refused.status).toBe(403);
    expect(await squash(refused)).toContain("Refused by the audit service: verify needs an all-scope role");
    const noCsrf = await b.post("/audit/verify", {}, { csrf: null });
    expect(noCsrf.status).toBe(403);
    expect(w.backends.calls.length).toBe(1);
  });
});

describe("export", () => {
  it("streams the search's records as JSON Lines with a filename, with the person's token", async () => {
    w.backends.answers["audit.export"] = () =>
      stream([STORY[1] as auditV1.AuditRecord, STORY[2] as auditV1.AuditRecord]);
    const r = await b.get("/audit/export?action_id=act-7&page_token=ignored");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("application/x-ndjson");
    expect(r.headers.get("content-disposition")).toBe(
      'attachment; filename="warden-audit-act-7-20261203T120000Z.jsonl"',
    );
    const lines = (await r.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; type: string });
    expect(lines.map((l) => [l.seq, l.type])).toEqual([
      [10, "warden.action.requested"],
      [11, "warden.decision.made"],
    ]);
    const call = w.backends.calls.at(-1);
    expect(call?.request).toEqual({ filter: auditV1.AuditFilter.fromPartial({ actionId: "act-7" }) });
    expect(await w.issuer.verifier().verify(call?.token ?? "")).toMatchObject({ id: "ivy" });
  });

  it("shows a refusal as a page, and a stream that breaks midway fails the download", async () => {
    w.backends.answers["audit.export"] = () => stream([STORY[0] as auditV1.AuditRecord], 0);
    const refused = await b.get("/audit/export?actor=carol");
    expect(refused.status).toBe(502);
    expect(await squash(refused)).toContain(
      "The audit service is not answering (UNAVAILABLE): connection reset",
    );

    // Control: the whole stream reads fine; then one that breaks after a record.
    w.backends.answers["audit.export"] = () => stream(STORY);
    expect((await (await b.get("/audit/export")).text()).trimEnd().split("\n")).toHaveLength(STORY.length);
    w.backends.answers["audit.export"] = () => stream(STORY, 1);
    const broken = await b.get("/audit/export");
    expect(broken.status).toBe(200);
    await expect(broken.text()).rejects.toThrow();
    expect((await b.get("/audit/export?from=bad")).status).toBe(400);
  });
});
