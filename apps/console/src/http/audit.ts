// The audit trail as people read it, only through the audit service's public API (Query, Verify,
// Export; never its database): a search (action id, agent, actor, event time) paged with the
// service's page token, the story of one action (every record with its action id, in seq order,
// grouped request → decision → votes → verdict → execution → rollback / incident), a Verify of the
// chain (optionally a seq range) with the first bad seq shown prominently, and an export streamed
// from the service's Export as JSON Lines (one AuditRecord JSON per line, as `warden audit export`).
// Every call is the signed-in person's own (their token), so the service's role scoping applies and
// its refusal is shown as it says it.
import { auditV1, commonV1 } from "@warden/contracts";
import { Status } from "nice-grpc";
import type { Context } from "hono";
import { attempt, field, rpcMessage } from "./context.ts";
import type { ConsoleApp, ConsoleDeps, Env } from "./context.ts";
import { html } from "./html.ts";
import type { Html } from "./html.ts";
import { actorOf, alert, done, hiddenCsrf, label, page, when } from "./layout.ts";
import type { Frame } from "./layout.ts";

type AuditRecord = auditV1.AuditRecord;

/** Records per search page (the service allows 1 to 1000). */
export const SEARCH_PAGE_SIZE = 50;
/** Pages of 1000 read for one action's story; more is cut with a notice (export gives everything). */
export const STORY_PAGES = 5;

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const ID_RULE = "1 to 128 letters, digits, . _ : @ / or -, starting with a letter or digit";
/** `2026-03-10`, `2026-03-10T20:00`, `2026-03-10T20:00:00Z`, `…+01:00` (no zone: UTC). */
const TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;
const PAGE_TOKEN = /^[A-Za-z0-9+/=_.:-]{1,512}$/;
const SEQ = /^\d{1,15}$/;

export interface SearchForm {
  actionId: string;
  agent: string;
  actor: string;
  from: string;
  to: string;
  pageToken: string;
}

const FORM_FIELDS = {
  actionId: "action_id",
  agent: "agent",
  actor: "actor",
  from: "from",
  to: "to",
} as const;

function parseTime(text: string): Date | undefined {
  if (!TIME.test(text)) return undefined;
  const iso = text.replace(" ", "T");
  const zoned = /(?:Z|[+-]\d{2}:\d{2})$/.test(iso) || !iso.includes("T") ? iso : `${iso}Z`;
  const date = new Date(iso.includes("T") ? zoned : `${iso}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The search form's fields as an AuditFilter, or the problems naming each field. */
export function parseSearch(q: (name: string) => string | undefined): {
  form: SearchForm;
  filter?: auditV1.AuditFilter;
  problems: string[];
} {
  const get = (name: string) => (q(name) ?? "").trim();
  const form: SearchForm = {
    actionId: get("action_id"),
    agent: get("agent"),
    actor: get("actor"),
    from: get("from"),
    to: get("to"),
    pageToken: get("page_token"),
  };
  const problems: string[] = [];
  for (const key of ["actionId", "agent", "actor"] as const)
    if (form[key] !== "" && !ID.test(form[key])) problems.push(`${FORM_FIELDS[key]}: ${ID_RULE}`);
  const from = form.from === "" ? undefined : parseTime(form.from);
  const to = form.to === "" ? undefined : parseTime(form.to);
  const timeRule = "a time like 2026-03-10 or 2026-03-10T20:00 (UTC unless a zone is given)";
  if (form.from !== "" && from === undefined) problems.push(`from: ${timeRule}`);
  if (form.to !== "" && to === undefined) problems.push(`to: ${timeRule}`);
  if (from !== undefined && to !== undefined && from >= to) problems.push("to: must be after from");
  if (form.pageToken !== "" && !PAGE_TOKEN.test(form.pageToken))
    problems.push("page_token: not a page token of the audit service (start the search again)");
  if (problems.length > 0) return { form, problems };
  return {
    form,
    problems,
    filter: auditV1.AuditFilter.fromPartial({
      actionId: form.actionId,
      agentId: form.agent,
      actorId: form.actor,
      ...(from && { startTime: from }),
      ...(to && { endTime: to }),
    }),
  };
}

/** The search as a query string (for the next page and the export link). */
function searchQuery(form: SearchForm, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, name] of Object.entries(FORM_FIELDS)) {
    const value = form[key as keyof typeof FORM_FIELDS];
    if (value !== "") params.set(name, value);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params.toString();
}

const httpStatusOf = (code: Status | undefined): 400 | 403 | 404 | 502 =>
  code === Status.PERMISSION_DENIED || code === Status.UNAUTHENTICATED
    ? 403
    : code === Status.INVALID_ARGUMENT
      ? 400
      : code === Status.NOT_FOUND
        ? 404
        : 502;

/** `1 record`, `2 records`. */
export const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

const storyHref = (actionId: string): string => `/audit/actions/${encodeURIComponent(actionId)}`;

function searchForm(f: SearchForm): Html {
  const input = (id: string, name: string, text: string, value: string, hint?: string) =>
    html`<div>
      <label for="${id}">${text}</label
      ><input
        id="${id}"
        type="text"
        name="${name}"
        value="${value}"
        ${hint ? html`placeholder="${hint}"` : ""}
      />
    </div>`;
  return html`<form class="filters card" method="get" action="/audit" aria-label="Search the audit trail">
    ${input("a-action", "action_id", "Action id", f.actionId)} ${input("a-agent", "agent", "Agent", f.agent)}
    ${input("a-actor", "actor", "Actor", f.actor)}
    ${input("a-from", "from", "From (event time, UTC)", f.from, "2026-03-10T20:00")}
    ${input("a-to", "to", "Before", f.to, "2026-03-11")}
    <div><button type="submit" class="primary" name="search" value="1">Search</button></div>
  </form>`;
}

function resultTable(records: readonly AuditRecord[]): Html {
  if (records.length === 0) return html`<p class="card" role="status">No audit records match.</p>`;
  return html`<table data-testid="audit-results">
    <thead>
      <tr>
        <th scope="col">Seq</th>
        <th scope="col">Time</th>
        <th scope="col">Type</th>
        <th scope="col">Actor</th>
        <th scope="col">Action</th>
        <th scope="col">Outcome</th>
      </tr>
    </thead>
    <tbody>
      ${records.map(
        (r) =>
          html`<tr>
            <td>${r.seq}</td>
            <td>${when(r.time)}</td>
            <td><code>${r.type}</code></td>
            <td>${actorOf(r.actor)}</td>
            <td>
              ${
                r.actionId === ""
                  ? "—"
                  : html`<a href="${storyHref(r.actionId)}"><code>${r.actionId}</code></a>`
              }
              ${r.action !== "" && html`<br />${r.action}`}
            </td>
            <td>${r.outcome || "—"}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The stages of one action's story, in the order they happen. */
export const STAGES = [
  ["request", "Request", ["warden.action.requested"]],
  ["decision", "Policy decision", ["warden.decision."]],
  ["votes", "Approval and votes", ["warden.approval."]],
  ["verdict", "Verdict", ["warden.action.verdict"]],
  ["execution", "Execution", ["warden.action.executed", "warden.deploy.", "warden.action.started"]],
  ["rollback", "Rollback", ["warden.rollback."]],
  ["incident", "Incident", ["warden.incident."]],
] as const;

export function stageOf(type: string): string {
  for (const [key, , prefixes] of STAGES)
    if (prefixes.some((p) => (p.endsWith(".") ? type.startsWith(p) : type === p))) return key;
  return "other";
}

function facts(r: AuditRecord): Html {
  const row = (name: string, value: Html | string | false | undefined) =>
    value === undefined || value === "" || value === false
      ? ""
      : html`<dt>${name}</dt>
          <dd>${value}</dd>`;
  const roles = r.actor !== undefined && r.actor.roles.length > 0 ? ` — ${r.actor.roles.join(", ")}` : "";
  return html`<dl class="facts">
    ${row("Who", `${actorOf(r.actor)}${roles}`)} ${row("When", when(r.time))} ${row("Outcome", r.outcome)}
    ${row("Matched rules", r.matchedRuleIds.length > 0 && r.matchedRuleIds.join(", "))}
    ${row("Action", r.action && `${r.action}${r.target ? ` on ${r.target}` : ""}`)}
    ${row("Environment", r.environment ? label(commonV1.environmentToJSON(r.environment), "ENVIRONMENT_") : "")}
    ${row("Reason", r.reason)} ${row("Ticket", r.ticket)}
    ${row(
      "Approvals",
      r.approvals.length > 0 &&
        r.approvals
          .map(
            (a) =>
              `${actorOf(a.approver)}${a.approver?.roles.length ? ` (${a.approver.roles.join(", ")})` : ""}: ${a.decision}`,
          )
          .join("; "),
    )}
    ${row("AI", r.ai && r.ai.model !== "" && `${r.ai.model}${r.ai.rationale ? ` — ${r.ai.rationale}` : ""}`)}
    ${row("Source", r.source)}
  </dl>`;
}

function story(records: readonly AuditRecord[]): Html {
  const groups = [
    ...STAGES.map(([key, title]) => [key, title] as const),
    ["other", "Other records"] as const,
  ];
  return html`${groups.map(([key, title]) => {
    const inStage = records.filter((r) => stageOf(r.type) === key);
    if (inStage.length === 0) return "";
    return html`<section class="card" aria-labelledby="s-${key}" data-stage="${key}">
      <h2 id="s-${key}">${title}</h2>
      <ol class="timeline">
        ${inStage.map(
          (r) =>
            html`<li>
              <strong>seq ${r.seq}</strong> · <code>${r.type}</code>
              ${facts(r)}
            </li>`,
        )}
      </ol>
    </section>`;
  })}`;
}

export function registerAudit(app: ConsoleApp, deps: ConsoleDeps): void {
  const frame = (c: Context<Env>, title: string): Frame => ({
    title,
    section: "/audit",
    who: c.var.who,
    csrf: c.var.csrfToken,
    devMode: deps.devSignIn !== undefined,
  });

  app.get("/audit", async (c) => {
    const searched = Object.keys(c.req.query()).length > 0;
    const { form, filter, problems } = parseSearch((n) => c.req.query(n));
    const head = html`<h1>Audit trail</h1>
      <p class="hint intro">
        Records of the audit service, in seq order, as your roles allow.
        <a href="/audit/verify">Verify the chain</a>
      </p>
      ${searchForm(form)}`;
    if (problems.length > 0)
      return c.html(page(frame(c, "Audit trail"), html`${head}${alert(problems.join("; "))}`), 400);
    if (!searched || filter === undefined) return c.html(page(frame(c, "Audit trail"), head));
    const result = await attempt("audit", () =>
      deps.backends
        .audit(c.var.token)
        .query({ filter, pageSize: SEARCH_PAGE_SIZE, pageToken: form.pageToken }),
    );
    if (!result.ok)
      return c.html(
        page(frame(c, "Audit trail"), html`${head}${alert(result.message)}`),
        httpStatusOf(result.code),
      );
    const { records, nextPageToken } = result.value;
    return c.html(
      page(
        frame(c, "Audit trail"),
        html`${head} ${resultTable(records)}
          <p>
            ${
              nextPageToken !== "" &&
              html`<a href="/audit?${searchQuery(form, { page_token: nextPageToken })}" rel="next"
                  >Next page</a
                >
                · `
            }
            <a href="/audit/export?${searchQuery(form)}">Export this search (JSON Lines)</a>
          </p>`,
      ),
    );
  });

  app.get("/audit/actions/:actionId", async (c) => {
    const actionId = c.req.param("actionId");
    const title = `Action ${actionId}`;
    if (!ID.test(actionId))
      return c.html(
        page(
          frame(c, "Action"),
          html`<h1>Action</h1>
            ${alert(`actionId: ${ID_RULE}`)}`,
        ),
        400,
      );
    const records: AuditRecord[] = [];
    let pageToken = "";
    for (let i = 0; i < STORY_PAGES; i++) {
      const r = await attempt("audit", () =>
        deps.backends
          .audit(c.var.token)
          .query({ filter: auditV1.AuditFilter.fromPartial({ actionId }), pageSize: 1000, pageToken }),
      );
      if (!r.ok)
        return c.html(
          page(
            frame(c, title),
            html`<h1>${title}</h1>
              ${alert(r.message)}`,
          ),
          httpStatusOf(r.code),
        );
      records.push(...r.value.records);
      pageToken = r.value.nextPageToken;
      if (pageToken === "") break;
    }
    records.sort((a, b) => a.seq - b.seq);
    const exportLink = html`<a
      href="/audit/export?${searchQuery({ actionId, agent: "", actor: "", from: "", to: "", pageToken: "" })}"
      >Export this story (JSON Lines)</a
    >`;
    return c.html(
      page(
        frame(c, title),
        html`<h1>Action <code>${actionId}</code></h1>
          <p class="hint intro">
            ${plural(records.length, "audit record")} with this action id, in seq order.
            ${records.length === 1 && `Seq ${records[0]?.seq}.`}
            ${records.length > 1 && `Seq ${records[0]?.seq} to ${records.at(-1)?.seq}.`} ${exportLink}
          </p>
          ${pageToken !== "" && alert(`Only the first ${records.length} records are shown; the export has all of them.`)}
          ${records.length === 0 ? html`<p class="card" role="status">No audit records for this action (or none your roles may see).</p>` : story(records)}`,
      ),
    );
  });

  const verifyPage = (
    c: Context<Env>,
    values: { from: string; to: string },
    outcome?: Html | "",
    error?: string,
  ): string =>
    page(
      frame(c, "Verify the audit chain"),
      html`<h1>Verify the audit chain</h1>
        <p class="hint intro">
          The audit service recomputes every record's hash over the range and checks the signed checkpoints in
          it.
        </p>
        ${outcome ?? ""} ${alert(error)}
        <form class="filters card" method="post" action="/audit/verify" aria-label="Verify the chain">
          ${hiddenCsrf(c.var.csrfToken)}
          <div>
            <label for="v-from">From seq (empty: 1)</label
            ><input id="v-from" type="text" inputmode="numeric" name="from_seq" value="${values.from}" />
          </div>
          <div>
            <label for="v-to">To seq (empty: the head)</label
            ><input id="v-to" type="text" inputmode="numeric" name="to_seq" value="${values.to}" />
          </div>
          <div><button type="submit" class="primary">Verify</button></div>
        </form>`,
    );

  app.get("/audit/verify", (c) => c.html(verifyPage(c, { from: "", to: "" })));

  app.post("/audit/verify", async (c) => {
    const body = await c.req.parseBody();
    const values = { from: field(body, "from_seq"), to: field(body, "to_seq") };
    const problems: string[] = [];
    for (const [name, value] of [
      ["from_seq", values.from],
      ["to_seq", values.to],
    ] as const)
      if (value !== "" && (!SEQ.test(value) || Number(value) < 1))
        problems.push(`${name}: a seq, a whole number from 1`);
    const fromSeq = Number(values.from || 0);
    const toSeq = Number(values.to || 0);
    if (problems.length === 0 && fromSeq > 0 && toSeq > 0 && toSeq < fromSeq)
      problems.push("to_seq: must not be before from_seq");
    if (problems.length > 0) return c.html(verifyPage(c, values, "", problems.join("; ")), 400);
    const result = await attempt("audit", () => deps.backends.audit(c.var.token).verify({ fromSeq, toSeq }));
    if (!result.ok) return c.html(verifyPage(c, values, "", result.message), httpStatusOf(result.code));
    const v = result.value;
    const source = label(auditV1.checkpointSourceToJSON(v.checkpointSource), "CHECKPOINT_SOURCE_");
    const outcome = v.ok
      ? html`${done(`Verified ${plural(v.recordsChecked, "record")} through seq ${v.lastGoodSeq}.`)}
          <p class="hint intro">
            ${plural(v.checkpointsChecked, "signed checkpoint")} checked (from ${source}).
            ${v.rangeCutAtHead && `The range ends beyond the head: only the records up to seq ${v.lastGoodSeq} exist.`}
          </p>`
      : html`<div class="alert" role="alert" data-testid="verify-broken">
            <p class="metric">BROKEN at seq ${v.firstBadSeq}</p>
            <p>${label(auditV1.problemToJSON(v.problem), "PROBLEM_")}: ${v.detail || "no detail"}</p>
          </div>
          <p class="hint intro">
            ${v.recordsChecked} records checked; last good seq ${v.lastGoodSeq}; ${v.checkpointsChecked}
            checkpoints (from ${source}).
          </p>`;
    return c.html(verifyPage(c, values, outcome), v.ok ? 200 : 409);
  });

  app.get("/audit/export", async (c) => {
    const { form, filter, problems } = parseSearch((n) => (n === "page_token" ? undefined : c.req.query(n)));
    if (problems.length > 0 || filter === undefined)
      return c.html(
        page(
          frame(c, "Export"),
          html`<h1>Export</h1>
            ${alert(problems.join("; "))}`,
        ),
        400,
      );
    // The first record (or the refusal) before any byte is sent: a refusal is a page, not a broken file.
    const stream = deps.backends.audit(c.var.token).export({ filter })[Symbol.asyncIterator]();
    let first: IteratorResult<auditV1.ExportResponse>;
    try {
      first = await stream.next();
    } catch (err) {
      const message = rpcMessage(err, "audit");
      const code = (err as { code?: Status }).code;
      return c.html(
        page(
          frame(c, "Export"),
          html`<h1>Export</h1>
            ${alert(message)}`,
        ),
        httpStatusOf(code),
      );
    }
    const line = (r: auditV1.ExportResponse): string =>
      r.record === undefined ? "" : `${JSON.stringify(auditV1.AuditRecord.toJSON(r.record))}\n`;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (first.done === true) controller.close();
        else controller.enqueue(encoder.encode(line(first.value)));
      },
      async pull(controller) {
        if (first.done === true) return;
        try {
          const next = await stream.next();
          if (next.done === true) controller.close();
          else controller.enqueue(encoder.encode(line(next.value)));
        } catch (err) {
          // A broken stream must not look like a complete file: the download fails.
          deps.log?.({ err: rpcMessage(err, "audit") }, "audit export stream broke");
          controller.error(err);
        }
      },
      async cancel() {
        await stream.return?.();
      },
    });
    const stamp = (deps.now?.() ?? new Date())
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const name =
      form.actionId !== ""
        ? `warden-audit-${form.actionId.replace(/[^A-Za-z0-9._-]/g, "_")}`
        : "warden-audit";
    return c.body(body, 200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="${name}-${stamp}.jsonl"`,
      "cache-control": "no-store",
    });
  });
}
