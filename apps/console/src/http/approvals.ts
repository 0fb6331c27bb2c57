// Pending approvals: the list (filters agent, environment, risk, age; `mine`), the detail an
// approver needs (request, risk, matched rules, AI recommendation, votes so far, what is still
// needed, time to the next escalation) and the five votes. Every vote is the person's own Decide
// call; the API's refusal (self_approval, not eligible, already voted…) is shown as it says it.
import { approvalV1, commonV1 } from "@warden/contracts";
import { Status } from "nice-grpc";
import { html } from "./html.ts";
import type { Html } from "./html.ts";
import { actorOf, alert, done, hiddenCsrf, label, page, span, when } from "./layout.ts";
import type { Frame } from "./layout.ts";
import { attempt, field } from "./context.ts";
import type { ConsoleApp, ConsoleDeps, Env } from "./context.ts";
import type { Context } from "hono";

const { VoteDecision, ApprovalStatus } = approvalV1;
type Approval = approvalV1.Approval;

export const ENVIRONMENTS = ["development", "staging", "production"] as const;
export const RISKS = ["low", "medium", "high", "critical"] as const;
/** The age filter: at least this old. */
export const AGES: Readonly<Record<string, number>> = {
  "15m": 15 * 60_000,
  "1h": 3600_000,
  "4h": 4 * 3600_000,
  "1d": 86_400_000,
};

const VOTES = [
  {
    key: "approve",
    decision: VoteDecision.VOTE_DECISION_APPROVE,
    label: "Approve",
    cls: "approve",
    comment: "optional",
  },
  {
    key: "reject",
    decision: VoteDecision.VOTE_DECISION_REJECT,
    label: "Reject",
    cls: "reject",
    comment: "required",
  },
  {
    key: "request-changes",
    decision: VoteDecision.VOTE_DECISION_REQUEST_CHANGES,
    label: "Request changes",
    cls: "",
    comment: "required",
  },
  {
    key: "escalate",
    decision: VoteDecision.VOTE_DECISION_ESCALATE,
    label: "Escalate now",
    cls: "",
    comment: "optional",
  },
  {
    key: "delegate",
    decision: VoteDecision.VOTE_DECISION_DELEGATE,
    label: "Delegate",
    cls: "",
    comment: "optional",
  },
] as const;
type VoteKey = (typeof VOTES)[number]["key"];

const approveCount = (a: Approval): number =>
  a.votes.filter((v) => v.counted && v.decision === VoteDecision.VOTE_DECISION_APPROVE).length;

/** What the approval still needs: approvals left and required roles not yet among the approvers. */
export function stillNeeded(a: Approval): { approvals: number; roles: string[] } {
  const req = a.requirement;
  if (req === undefined) return { approvals: 0, roles: [] };
  const approvers = a.votes.filter((v) => v.counted && v.decision === VoteDecision.VOTE_DECISION_APPROVE);
  const held = new Set(approvers.flatMap((v) => v.voter?.roles ?? []));
  return {
    approvals: Math.max(0, req.minApprovers - approvers.length),
    roles: req.requiredRoles.filter((r) => !held.has(r)),
  };
}

const risk = (level: string): Html => {
  const name = label(level, "RISK_LEVEL_");
  return html`<span class="badge risk-${name}">${name}</span>`;
};

interface Filters {
  agent: string;
  environment: string;
  risk: string;
  age: string;
  mine: boolean;
}

function parseFilters(q: (name: string) => string | undefined): { filters: Filters; problems: string[] } {
  const filters: Filters = {
    agent: (q("agent") ?? "").trim(),
    environment: q("environment") ?? "",
    risk: q("risk") ?? "",
    age: q("age") ?? "",
    mine: q("mine") === "on",
  };
  const problems: string[] = [];
  if (filters.environment !== "" && !(ENVIRONMENTS as readonly string[]).includes(filters.environment))
    problems.push(`environment: must be one of ${ENVIRONMENTS.join(", ")}`);
  if (filters.risk !== "" && !(RISKS as readonly string[]).includes(filters.risk))
    problems.push(`risk: must be one of ${RISKS.join(", ")}`);
  if (filters.age !== "" && AGES[filters.age] === undefined)
    problems.push(`age: must be one of ${Object.keys(AGES).join(", ")}`);
  if (filters.agent.length > 128) problems.push("agent: at most 128 characters");
  return { filters, problems };
}

const option = (value: string, text: string, selected: string): Html =>
  html`<option value="${value}" ${value === selected ? html`selected` : ""}>${text}</option>`;

function filterForm(f: Filters): Html {
  return html`<form class="filters card" method="get" action="/approvals" aria-label="Filter approvals">
    <div>
      <label for="f-agent">Agent</label><input id="f-agent" type="text" name="agent" value="${f.agent}" />
    </div>
    <div>
      <label for="f-env">Environment</label>
      <select id="f-env" name="environment">
        ${option("", "any", f.environment)} ${ENVIRONMENTS.map((e) => option(e, e, f.environment))}
      </select>
    </div>
    <div>
      <label for="f-risk">Risk</label>
      <select id="f-risk" name="risk">
        ${option("", "any", f.risk)} ${RISKS.map((r) => option(r, r, f.risk))}
      </select>
    </div>
    <div>
      <label for="f-age">Waiting at least</label>
      <select id="f-age" name="age">
        ${option("", "any time", f.age)} ${Object.keys(AGES).map((a) => option(a, a, f.age))}
      </select>
    </div>
    <div>
      <label for="f-mine"
        ><input id="f-mine" type="checkbox" name="mine" ${f.mine ? html`checked` : ""} /> Only those I may
        vote on</label
      >
    </div>
    <div><button type="submit" class="primary">Filter</button></div>
  </form>`;
}

function listTable(approvals: readonly Approval[], now: Date): Html {
  if (approvals.length === 0) return html`<p class="card" role="status">No pending approvals match.</p>`;
  return html`<table>
    <caption class="hint" style="caption-side: bottom; text-align: left">
      ${approvals.length} pending, newest first
    </caption>
    <thead>
      <tr>
        <th scope="col">Action</th>
        <th scope="col">Agent</th>
        <th scope="col">Environment</th>
        <th scope="col">Risk</th>
        <th scope="col">Approvals</th>
        <th scope="col">Asking</th>
        <th scope="col">Waiting</th>
        <th scope="col">Next escalation</th>
      </tr>
    </thead>
    <tbody>
      ${approvals.map(
        (a) =>
          html`<tr>
            <td>
              <a href="/approvals/${encodeURIComponent(a.actionId)}"><code>${a.actionId}</code></a
              ><br />${a.request?.action ?? ""} ${a.request?.target ? html`on ${a.request.target}` : ""}
            </td>
            <td>${a.request?.agentId ?? "—"}</td>
            <td>${label(a.request?.environment, "ENVIRONMENT_")}</td>
            <td>${risk(a.riskLevel)}</td>
            <td>${approveCount(a)} of ${a.requirement?.minApprovers ?? "?"}</td>
            <td>${a.currentRoles.join(", ") || "—"}</td>
            <td>${a.createdAt ? span(now.getTime() - a.createdAt.getTime()) : "—"}</td>
            <td>${a.levelDeadline ? deadline(a.levelDeadline, now) : "—"}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function deadline(at: Date, now: Date): string {
  const left = at.getTime() - now.getTime();
  return left > 0 ? `in ${span(left)} (${when(at)})` : `overdue by ${span(left)} (${when(at)})`;
}

function voteRows(votes: readonly approvalV1.Vote[]): Html {
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Voter</th>
        <th scope="col">Vote</th>
        <th scope="col">Counted</th>
        <th scope="col">Comment</th>
        <th scope="col">At</th>
      </tr>
    </thead>
    <tbody>
      ${votes.map(
        (v) =>
          html`<tr>
            <td>
              ${actorOf(v.voter)}${v.voter?.roles.length ? html`<br /><span class="hint">${v.voter.roles.join(", ")}</span>` : ""}
            </td>
            <td>${label(v.decision, "VOTE_DECISION_")}${v.delegateTo ? html` to ${v.delegateTo}` : ""}</td>
            <td>${v.counted ? "yes" : "no (recommendation)"}</td>
            <td>${v.comment || "—"}</td>
            <td>${when(v.castAt)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function voteForms(a: Approval, csrf: string): Html {
  const path = `/approvals/${encodeURIComponent(a.actionId)}/decide`;
  return html`<section aria-labelledby="vote-h">
    <h2 id="vote-h">Your vote</h2>
    <p class="hint">
      The vote is yours: it is cast with your own sign-in, and the approval service decides whether you may
      cast it.
    </p>
    <div class="votes">
      ${VOTES.map(
        (v) =>
          html`<form method="post" action="${path}" aria-label="${v.label}">
            ${hiddenCsrf(csrf)}
            <input type="hidden" name="decision" value="${v.key}" />
            <input type="hidden" name="request_digest" value="${a.requestDigest}" />
            <label for="c-${v.key}">Comment (${v.comment})</label>
            <textarea
              id="c-${v.key}"
              name="comment"
              ${v.comment === "required" ? html`required` : ""}
            ></textarea>
            ${
              v.key === "delegate" &&
              html`<label for="to-delegate">Delegate to (person id)</label>
                <input id="to-delegate" type="text" name="delegate_to" required />`
            }
            <button type="submit" class="${v.cls}">${v.label}</button>
          </form>`,
      )}
    </div>
  </section>`;
}

function detail(a: Approval, now: Date, csrf: string): Html {
  const r = a.request;
  const req = a.requirement;
  const needed = stillNeeded(a);
  const pending = a.status === ApprovalStatus.APPROVAL_STATUS_PENDING;
  const ai = r?.ai;
  return html`<div class="grid2">
      <section class="card" aria-labelledby="req-h">
        <h2 id="req-h">The request</h2>
        <dl class="facts">
          <dt>Action</dt>
          <dd>${r?.action ?? "—"}${r?.tool ? html` via ${r.tool}` : ""}</dd>
          <dt>Target</dt>
          <dd>${r?.target || "—"}</dd>
          <dt>Agent</dt>
          <dd>${r?.agentId ?? "—"}</dd>
          <dt>Environment</dt>
          <dd>${label(r?.environment, "ENVIRONMENT_")}</dd>
          <dt>Change</dt>
          <dd>${label(r?.changeType, "CHANGE_TYPE_")}, ${label(r?.versionChange, "VERSION_CHANGE_")}</dd>
          <dt>Requested by</dt>
          <dd>${actorOf(r?.requestedBy)}</dd>
          <dt>Reason</dt>
          <dd>${r?.reason || "—"}</dd>
          <dt>Ticket</dt>
          <dd>${r?.ticket || "—"}</dd>
          <dt>Risk</dt>
          <dd>${risk(a.riskLevel)}</dd>
          <dt>Matched rules</dt>
          <dd>
            ${
              a.matchedRules.length === 0
                ? "—"
                : html`<ul>
                    ${a.matchedRules.map((m) => html`<li><code>${m.ruleId}</code> — ${m.reason}</li>`)}
                  </ul>`
            }
          </dd>
          ${
            r?.arguments !== undefined &&
            html`<dt>Details</dt>
              <dd>
                <details>
                  <summary>arguments (scan and test results, rollback plan…)</summary>
                  <pre>${JSON.stringify(r.arguments, null, 2)}</pre>
                </details>
              </dd>`
          }
        </dl>
      </section>
      <section class="card" aria-labelledby="state-h">
        <h2 id="state-h">Where it stands</h2>
        <dl class="facts">
          <dt>Status</dt>
          <dd><strong>${label(a.status, "APPROVAL_STATUS_")}</strong>${a.consumed ? " (used)" : ""}</dd>
          <dt>Approvals</dt>
          <dd>
            ${approveCount(a)} of ${req?.minApprovers ?? "?"} from
            ${req?.eligibleRoles.join(", ") || "any role"}
          </dd>
          <dt>Still needed</dt>
          <dd>
            ${pending ? html`${needed.approvals} more approval(s)${needed.roles.length > 0 ? html`, including ${needed.roles.join(", ")}` : ""}` : "nothing (resolved)"}
          </dd>
          <dt>Asking now</dt>
          <dd>level ${a.escalationLevel}: ${a.currentRoles.join(", ") || "—"}</dd>
          <dt>Next escalation</dt>
          <dd>${pending && a.levelDeadline ? deadline(a.levelDeadline, now) : "—"}</dd>
          <dt>Created</dt>
          <dd>${when(a.createdAt)}</dd>
          <dt>Resolved</dt>
          <dd>${when(a.resolvedAt)}</dd>
          <dt>Bound to</dt>
          <dd><code>${a.requestDigest || "—"}</code></dd>
        </dl>
      </section>
    </div>
    <section class="card" aria-labelledby="ai-h">
      <h2 id="ai-h">AI recommendation</h2>
      ${a.recommendations.length === 0 && ai === undefined ? html`<p>No AI recommendation for this action.</p>` : ""}
      ${
        ai !== undefined &&
        html`<p>
          <strong>The agent's rationale</strong>
          (${ai.model || "model not given"}${ai.confidence !== undefined ? html`, confidence ${ai.confidence}` : ""}):
          ${ai.rationale || "—"}
        </p>`
      }
      ${a.recommendations.map(
        (v) =>
          html`<p>
            <strong>${actorOf(v.voter)}</strong> recommends
            <strong>${label(v.decision, "VOTE_DECISION_")}</strong>: ${v.comment || "(no rationale)"}
            <span class="hint">(advisory, not counted)</span>
          </p>`,
      )}
    </section>
    <section class="card" aria-labelledby="votes-h">
      <h2 id="votes-h">Votes so far</h2>
      ${a.votes.length === 0 ? html`<p>No votes yet.</p>` : voteRows(a.votes)}
    </section>
    ${pending ? voteForms(a, csrf) : html`<p class="notice">This approval is ${label(a.status, "APPROVAL_STATUS_")}: no more votes.</p>`}`;
}

const VOTED: Readonly<Record<string, string>> = {
  approve: "Your approval was recorded.",
  reject: "Your rejection was recorded.",
  "request-changes": "Your request for changes was recorded.",
  escalate: "The approval was escalated.",
  delegate: "Your turn was delegated.",
};

export function registerApprovals(app: ConsoleApp, deps: ConsoleDeps): void {
  const now = deps.now ?? (() => new Date());
  const frame = (c: { var: { who: Frame["who"]; csrfToken: string } }, title: string): Frame => ({
    title,
    section: "/approvals",
    ...(c.var.who && { who: c.var.who }),
    csrf: c.var.csrfToken,
    devMode: deps.devSignIn !== undefined,
  });

  app.get("/approvals", async (c) => {
    const { filters, problems } = parseFilters((n) => c.req.query(n));
    const head = html`<h1>Pending approvals</h1>
      ${filterForm(filters)}`;
    if (problems.length > 0)
      return c.html(page(frame(c, "Pending approvals"), html`${head}${alert(problems.join("; "))}`), 400);
    const result = await attempt("approval", () =>
      deps.backends.approval(c.var.token).listPending({
        mine: filters.mine,
        agentId: filters.agent,
        environment:
          filters.environment === ""
            ? commonV1.Environment.ENVIRONMENT_UNSPECIFIED
            : commonV1.environmentFromJSON(`ENVIRONMENT_${filters.environment.toUpperCase()}`),
        riskLevel:
          filters.risk === ""
            ? commonV1.RiskLevel.RISK_LEVEL_UNSPECIFIED
            : commonV1.riskLevelFromJSON(`RISK_LEVEL_${filters.risk.toUpperCase()}`),
        pageSize: 200,
        pageToken: c.req.query("page_token") ?? "",
      }),
    );
    if (!result.ok)
      return c.html(page(frame(c, "Pending approvals"), html`${head}${alert(result.message)}`), 502);
    const t = now();
    const minAge = AGES[filters.age] ?? 0;
    const shown = result.value.approvals.filter(
      (a) => a.createdAt === undefined || t.getTime() - a.createdAt.getTime() >= minAge,
    );
    const next = result.value.nextPageToken;
    return c.html(
      page(
        frame(c, "Pending approvals"),
        html`${head}${listTable(shown, t)}${next !== "" && html`<p><a href="?${new URLSearchParams({ ...(filters.agent && { agent: filters.agent }), ...(filters.environment && { environment: filters.environment }), ...(filters.risk && { risk: filters.risk }), page_token: next }).toString()}">Next page</a></p>`}`,
      ),
    );
  });

  const show = async (
    c: Context<Env>,
    actionId: string,
    message?: { error?: string; ok?: string },
    status: 200 | 400 | 403 | 409 | 502 = 200,
  ) => {
    const result = await attempt("approval", () => deps.backends.approval(c.var.token).get({ actionId }));
    const title = `Approval ${actionId}`;
    const back = html`<p><a href="/approvals">← All pending approvals</a></p>`;
    if (!result.ok)
      return c.html(
        page(
          frame(c, title),
          html`${back}
            <h1>${title}</h1>
            ${alert(message?.error)}${alert(result.message)}`,
        ),
        result.code === Status.NOT_FOUND ? 404 : 502,
      );
    const a = result.value.approval;
    if (a === undefined)
      return c.html(
        page(
          frame(c, title),
          html`${back}
            <h1>${title}</h1>
            ${alert("The approval service returned no approval.")}`,
        ),
        502,
      );
    return c.html(
      page(
        frame(c, title),
        html`${back}
          <h1>${title}</h1>
          ${alert(message?.error)}${done(message?.ok)}${detail(a, now(), c.var.csrfToken)}`,
      ),
      status,
    );
  };

  app.get("/approvals/:actionId", async (c) => {
    const voted = c.req.query("voted");
    return show(
      c,
      c.req.param("actionId"),
      voted !== undefined && VOTED[voted] !== undefined ? { ok: VOTED[voted] } : {},
    );
  });

  app.post("/approvals/:actionId/decide", async (c) => {
    const actionId = c.req.param("actionId");
    const body = await c.req.parseBody();
    const key = field(body, "decision") as VoteKey;
    const vote = VOTES.find((v) => v.key === key);
    const comment = field(body, "comment");
    const delegateTo = field(body, "delegate_to");
    const problems: string[] = [];
    if (vote === undefined) problems.push(`decision: must be one of ${VOTES.map((v) => v.key).join(", ")}`);
    if (vote?.comment === "required" && comment === "")
      problems.push(`comment: required to ${vote.label.toLowerCase()}`);
    if (comment.length > 2000) problems.push("comment: at most 2000 characters");
    if (key === "delegate" && delegateTo === "") problems.push("delegate_to: name the person to delegate to");
    if (problems.length > 0 || vote === undefined)
      return show(c, actionId, { error: problems.join("; ") }, 400);
    const result = await attempt("approval", () =>
      deps.backends.approval(c.var.token).decide({
        actionId,
        decision: vote.decision,
        comment,
        delegateTo: key === "delegate" ? delegateTo : "",
        requestDigest: field(body, "request_digest"),
      }),
    );
    if (!result.ok) {
      deps.log?.({ actionId, voter: c.var.who.id, decision: key, refusal: result.message }, "vote refused");
      const status =
        result.code === Status.PERMISSION_DENIED
          ? 403
          : result.code === Status.INVALID_ARGUMENT
            ? 400
            : result.code === Status.FAILED_PRECONDITION
              ? 409
              : 502;
      return show(c, actionId, { error: result.message }, status);
    }
    return c.redirect(`/approvals/${encodeURIComponent(actionId)}?voted=${key}`, 303);
  });
}
