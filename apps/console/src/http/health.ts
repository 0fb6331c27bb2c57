// Governance health: the approval backlog (count, oldest, escalated) from ListPending, the stop state
// and its acknowledgements from the kill switch's Status, decisions by outcome from the policy
// service's /metrics, and the audit chain's Verify (with the head seq from the audit's /metrics).
// Each panel is fetched on its own: one service down leaves the others on the page, its panel saying why.
import type { approvalV1, killswitchV1 } from "@warden/contracts";
import { auditV1 } from "@warden/contracts";
import type { Context } from "hono";
import type { MetricSource } from "../backends.ts";
import { parseMetrics, sumBy, valueOf } from "../metrics-text.ts";
import { attempt } from "./context.ts";
import type { ConsoleApp, ConsoleDeps, Env } from "./context.ts";
import { html } from "./html.ts";
import type { Html } from "./html.ts";
import { alert, label, page, span, when } from "./layout.ts";
import { describeScope } from "./stop.ts";

/** Pages of ListPending read for the backlog (500 each); beyond that the count is shown as "at least". */
export const BACKLOG_PAGES = 10;

export interface Backlog {
  count: number;
  /** True when more pages were left unread. */
  more: boolean;
  oldest?: Date;
  escalated: number;
}

export function backlogOf(approvals: readonly approvalV1.Approval[], more: boolean): Backlog {
  let oldest: Date | undefined;
  for (const a of approvals)
    if (a.createdAt !== undefined && (oldest === undefined || a.createdAt < oldest)) oldest = a.createdAt;
  return {
    count: approvals.length,
    more,
    ...(oldest && { oldest }),
    escalated: approvals.filter((a) => a.escalationLevel > 0).length,
  };
}

type Panel<T> = { ok: true; value: T } | { ok: false; message: string };

const failed = (title: string, id: string, message: string): Html =>
  html`<section class="card" aria-labelledby="${id}">
    <h2 id="${id}">${title}</h2>
    ${alert(message)}
  </section>`;

function backlogPanel(p: Panel<Backlog>, now: Date): Html {
  if (!p.ok) return failed("Pending approvals", "h-backlog", p.message);
  const b = p.value;
  return html`<section class="card" aria-labelledby="h-backlog">
    <h2 id="h-backlog">Pending approvals</h2>
    <p class="metric" data-testid="backlog-count">${b.more ? `≥ ${b.count}` : b.count}</p>
    <dl class="facts">
      <dt>Oldest waiting</dt>
      <dd>${b.oldest ? html`${span(now.getTime() - b.oldest.getTime())} (since ${when(b.oldest)})` : "—"}</dd>
      <dt>Escalated</dt>
      <dd>${b.escalated}</dd>
    </dl>
    <p><a href="/approvals">Open the list</a></p>
  </section>`;
}

function stopPanel(p: Panel<killswitchV1.StatusResponse>): Html {
  if (!p.ok) return failed("Emergency stop", "h-stop", p.message);
  const s = p.value;
  const state = s.state;
  const confirmed = s.consumers.filter((c) => c.confirmed).length;
  return html`<section
    class="card ${state?.active !== false ? "stopped" : "state-clear"}"
    aria-labelledby="h-stop"
  >
    <h2 id="h-stop">Emergency stop</h2>
    <p class="metric">${state === undefined ? "UNKNOWN" : state.active ? "ACTIVE" : "clear"}</p>
    <dl class="facts">
      ${
        state?.active &&
        html`<dt>Scopes</dt>
          <dd>${state.scopes.map(describeScope).join("; ")}</dd>
          <dt>Since</dt>
          <dd>${when(state.activatedAt)}</dd>`
      }
      <dt>Epoch</dt>
      <dd>${s.epoch}</dd>
      <dt>Confirmed</dt>
      <dd>${confirmed} of ${s.consumers.length} consumers</dd>
    </dl>
    <p><a href="/stop">Open the emergency stop</a></p>
  </section>`;
}

export interface Decisions {
  byOutcome: [string, number][];
  dryRuns: number;
}

export function decisionsOf(metricsText: string): Decisions {
  const samples = parseMetrics(metricsText);
  const byOutcome = [...sumBy(samples, "warden_policy_decisions_total", "outcome")].sort(
    (a, b) => b[1] - a[1],
  );
  const dry = [...sumBy(samples, "warden_policy_dry_runs_total", "outcome").values()].reduce(
    (a, b) => a + b,
    0,
  );
  return { byOutcome, dryRuns: dry };
}

function decisionsPanel(p: Panel<Decisions | undefined>): Html {
  if (!p.ok) return failed("Decisions by outcome", "h-decisions", p.message);
  if (p.value === undefined)
    return failed(
      "Decisions by outcome",
      "h-decisions",
      "Not configured: set WARDEN_POLICY_METRICS_URL to the policy service's /metrics.",
    );
  const { byOutcome, dryRuns } = p.value;
  const total = byOutcome.reduce((a, [, n]) => a + n, 0);
  return html`<section class="card" aria-labelledby="h-decisions">
    <h2 id="h-decisions">Decisions by outcome</h2>
    <p class="hint">Since the policy service started (its Prometheus counters).</p>
    ${
      total === 0
        ? html`<p>No decisions yet.</p>`
        : html`<table>
            <thead>
              <tr>
                <th scope="col">Outcome</th>
                <th scope="col">Decisions</th>
                <th scope="col">Share</th>
              </tr>
            </thead>
            <tbody>
              ${byOutcome.map(
                ([outcome, n]) =>
                  html`<tr>
                    <td>${label(outcome, "OUTCOME_")}</td>
                    <td>${n}</td>
                    <td>
                      <meter
                        min="0"
                        max="${total}"
                        value="${n}"
                        aria-label="${label(outcome, "OUTCOME_")} share"
                      ></meter>
                      ${Math.round((100 * n) / total)} %
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <p class="hint">Dry runs (evaluations on an agent's behalf, not counted): ${dryRuns}</p>
  </section>`;
}

export interface AuditHealth {
  verify: auditV1.VerifyResponse;
  headSeq?: number;
  /** The first seq verified (1: the whole chain). */
  fromSeq: number;
}

/** Where the health page's Verify starts: the newest `last` records below the head, else seq 1. */
export function verifyFrom(headSeq: number | undefined, last: number): number {
  if (last === 0 || headSeq === undefined) return 1;
  return Math.max(1, headSeq - last + 1);
}

function auditPanel(p: Panel<AuditHealth>): Html {
  if (!p.ok) return failed("Audit chain", "h-audit", p.message);
  const { verify: v, headSeq, fromSeq } = p.value;
  return html`<section class="card" aria-labelledby="h-audit">
    <h2 id="h-audit">Audit chain</h2>
    <p class="metric">${v.ok ? "verified" : "BROKEN"}</p>
    <p class="hint">${fromSeq <= 1 ? "The whole chain" : `From seq ${fromSeq} to the head`}, checked now.</p>
    ${!v.ok && alert(`First bad record: seq ${v.firstBadSeq} (${label(auditV1.problemToJSON(v.problem), "PROBLEM_")}) — ${v.detail || "no detail"}`)}
    <dl class="facts">
      <dt>Records checked</dt>
      <dd>${v.recordsChecked}</dd>
      <dt>Last good seq</dt>
      <dd>${v.lastGoodSeq}</dd>
      <dt>Checkpoints checked</dt>
      <dd>
        ${v.checkpointsChecked} (from
        ${label(auditV1.checkpointSourceToJSON(v.checkpointSource), "CHECKPOINT_SOURCE_")})
      </dd>
      ${
        headSeq !== undefined &&
        html`<dt>Head seq (audit /metrics)</dt>
          <dd>${headSeq}</dd>`
      }
    </dl>
    <p><a href="/audit/verify">Verify a range</a> · <a href="/audit">Search the trail</a></p>
  </section>`;
}

export function registerHealth(app: ConsoleApp, deps: ConsoleDeps): void {
  const now = deps.now ?? (() => new Date());
  const metrics = async (source: MetricSource) => {
    const result = await attempt(source, () => deps.backends.metrics(source));
    return result.ok ? result : { ok: false as const, message: `${source} /metrics: ${result.message}` };
  };

  const backlog = async (c: Context<Env>): Promise<Panel<Backlog>> => {
    const approvals: approvalV1.Approval[] = [];
    let pageToken = "";
    for (let i = 0; i < BACKLOG_PAGES; i++) {
      const r = await attempt("approval", () =>
        deps.backends.approval(c.var.token).listPending({ pageSize: 500, pageToken }),
      );
      if (!r.ok) return r;
      approvals.push(...r.value.approvals);
      pageToken = r.value.nextPageToken;
      if (pageToken === "") break;
    }
    return { ok: true, value: backlogOf(approvals, pageToken !== "") };
  };

  const audit = async (c: Context<Env>): Promise<Panel<AuditHealth>> => {
    // The head seq first (audit /metrics), so a page view verifies the newest records, not the
    // whole chain (CONSOLE_HEALTH_VERIFY_LAST); without it, the whole chain.
    const text = await metrics("audit");
    const head =
      text.ok && text.value !== undefined
        ? valueOf(parseMetrics(text.value), "warden_audit_head_seq")
        : undefined;
    const fromSeq = verifyFrom(head, deps.healthVerifyLast ?? 10_000);
    const verify = await attempt("audit", () =>
      deps.backends.audit(c.var.token).verify({ fromSeq, toSeq: 0 }),
    );
    if (!verify.ok) return verify;
    return {
      ok: true,
      value: { verify: verify.value, fromSeq, ...(head !== undefined && { headSeq: head }) },
    };
  };

  app.get("/health", async (c) => {
    const [b, s, d, a] = await Promise.all([
      backlog(c),
      attempt("kill-switch", () => deps.backends.killSwitch(c.var.token).status({})),
      metrics("policy").then((m): Panel<Decisions | undefined> =>
        m.ok ? { ok: true, value: m.value === undefined ? undefined : decisionsOf(m.value) } : m,
      ),
      audit(c),
    ]);
    const t = now();
    return c.html(
      page(
        {
          title: "Governance health",
          section: "/health",
          who: c.var.who,
          csrf: c.var.csrfToken,
          devMode: deps.devSignIn !== undefined,
        },
        html`<h1>Governance health</h1>
          <p class="hint">As of ${when(t)}, from the services' APIs and metrics, with your sign-in.</p>
          <div class="tiles">${backlogPanel(b, t)} ${stopPanel(s)} ${auditPanel(a)}</div>
          ${decisionsPanel(d)}`,
      ),
    );
  });
}
