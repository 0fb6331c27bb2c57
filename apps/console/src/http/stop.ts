// The emergency stop: the current state (scopes, epoch, who, why, since when), the activation form
// (scope and a required reason), the live acknowledgement progress (Status polled by
// /static/console.js from the /stop/acks fragment; no NATS connection in the console) and the
// two-person resume (who already asked, and that a second, distinct person is needed). Every call
// is the signed-in person's own (their token); the kill-switch service decides and its refusal is
// shown as it says it.
import { killswitchV1 } from "@warden/contracts";
import { Status } from "nice-grpc";
import type { Context } from "hono";
import { attempt, field } from "./context.ts";
import type { ConsoleApp, ConsoleDeps, Env } from "./context.ts";
import { html } from "./html.ts";
import type { Html } from "./html.ts";
import { actorOf, alert, done, hiddenCsrf, page, span, when } from "./layout.ts";
import type { Frame } from "./layout.ts";

const { ScopeKind } = killswitchV1;
type Scope = killswitchV1.Scope;
type StatusResponse = killswitchV1.StatusResponse;

export const STOP_ENVIRONMENTS = ["production", "staging", "development"] as const;
/** The roles the kill-switch service needs, together, to lift a stop (DESIGN.md §6). */
export const RESUME_ROLES = ["engineering-lead", "security-lead"] as const;
const SCOPE_KINDS = ["global", "environment", "agent", "service"] as const;
type ScopeKindKey = (typeof SCOPE_KINDS)[number];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/** `global`, `environment production`, `agent refund-bot`, `service payments-api`. */
export function describeScope(scope: Scope | undefined): string {
  if (scope === undefined) return "—";
  switch (scope.kind) {
    case ScopeKind.SCOPE_KIND_GLOBAL:
      return "global (everything)";
    case ScopeKind.SCOPE_KIND_ENVIRONMENT:
      return `environment ${scope.value.replace(/^ENVIRONMENT_/, "").toLowerCase()}`;
    case ScopeKind.SCOPE_KIND_AGENT:
      return `agent ${scope.value}`;
    case ScopeKind.SCOPE_KIND_SERVICE:
      return `service ${scope.value}`;
    default:
      return `unknown scope ${scope.value}`;
  }
}

/** A scope as a form value (`environment:ENVIRONMENT_PRODUCTION`) and back. */
const scopeKey = (s: Scope): string => `${killswitchV1.scopeKindToJSON(s.kind)}:${s.value}`;
function scopeFromKey(key: string): Scope | undefined {
  const colon = key.indexOf(":");
  if (colon < 0) return undefined;
  const kind = killswitchV1.scopeKindFromJSON(key.slice(0, colon));
  if (kind === ScopeKind.SCOPE_KIND_UNSPECIFIED || kind === ScopeKind.UNRECOGNIZED) return undefined;
  return { kind, value: key.slice(colon + 1) };
}

/** The activation form's fields as a scope, or the problems naming each field. */
export function parseActivation(body: Record<string, unknown>): {
  scope?: Scope;
  reason: string;
  problems: string[];
} {
  const kind = field(body, "scope_kind") as ScopeKindKey;
  const reason = field(body, "reason");
  const problems: string[] = [];
  if (reason === "") problems.push("reason: required — say why everything in the scope must stop");
  if (reason.length > 1000) problems.push("reason: at most 1000 characters");
  let scope: Scope | undefined;
  if (!SCOPE_KINDS.includes(kind)) problems.push(`scope_kind: must be one of ${SCOPE_KINDS.join(", ")}`);
  else if (kind === "global") scope = { kind: ScopeKind.SCOPE_KIND_GLOBAL, value: "" };
  else if (kind === "environment") {
    const env = field(body, "environment");
    if (!(STOP_ENVIRONMENTS as readonly string[]).includes(env))
      problems.push(`environment: must be one of ${STOP_ENVIRONMENTS.join(", ")} for an environment stop`);
    else scope = { kind: ScopeKind.SCOPE_KIND_ENVIRONMENT, value: `ENVIRONMENT_${env.toUpperCase()}` };
  } else {
    const name = field(body, "target");
    if (!NAME.test(name))
      problems.push(
        `target: the ${kind} id to stop, 1 to 128 letters, digits, . _ : / or -, starting with a letter or digit`,
      );
    else
      scope = {
        kind: kind === "agent" ? ScopeKind.SCOPE_KIND_AGENT : ScopeKind.SCOPE_KIND_SERVICE,
        value: name,
      };
  }
  return { ...(scope && { scope }), reason, problems };
}

/** Who asked to resume so far, and which of the two roles no one of them holds yet. */
export function resumeProgress(state: killswitchV1.EmergencyStop | undefined): {
  askedBy: killswitchV1.DeactivationApproval[];
  missing: string[];
} {
  const askedBy = state?.deactivationApprovals ?? [];
  const held = new Set(askedBy.flatMap((a) => a.approver?.roles ?? []));
  return { askedBy, missing: RESUME_ROLES.filter((r) => !held.has(r)) };
}

function stateCard(s: StatusResponse, now: Date): Html {
  const state = s.state;
  // Unknown state is stopped (DESIGN.md §11): never show "no stop" for an answer without a state.
  if (state === undefined)
    return html`<section class="card stopped" aria-labelledby="state-h">
      <h2 id="state-h">Stop state UNKNOWN</h2>
      <p>The kill-switch service answered without a state. Treat everything as stopped until it answers.</p>
    </section>`;
  if (!state.active)
    return html`<section class="card state-clear" aria-labelledby="state-h">
      <h2 id="state-h">No emergency stop is active</h2>
      <p>Agents, approvals and deployments run normally. Epoch <strong>${s.epoch}</strong>.</p>
    </section>`;
  return html`<section class="card stopped" aria-labelledby="state-h">
    <h2 id="state-h">Emergency stop ACTIVE</h2>
    <dl class="facts">
      <dt>Scopes</dt>
      <dd>
        <ul class="plain">
          ${state.scopes.map((sc) => html`<li><strong>${describeScope(sc)}</strong></li>`)}
        </ul>
      </dd>
      <dt>Epoch</dt>
      <dd>${s.epoch}</dd>
      <dt>Activated by</dt>
      <dd>${actorOf(state.activatedBy)}</dd>
      <dt>Reason</dt>
      <dd>${state.reason || "—"}</dd>
      <dt>Since</dt>
      <dd>
        ${when(state.activatedAt)}${state.activatedAt ? html` (${span(now.getTime() - state.activatedAt.getTime())} ago)` : ""}
      </dd>
    </dl>
    ${scopeTable(s)}
  </section>`;
}

function scopeTable(s: StatusResponse): Html | "" {
  const rows = s.scopes.filter((r) => r.active || r.needsReEnabling);
  if (rows.length < 2 && !rows.some((r) => r.needsReEnabling)) return "";
  return html`<table>
    <caption>
      Each stopped scope
    </caption>
    <thead>
      <tr>
        <th scope="col">Scope</th>
        <th scope="col">State</th>
        <th scope="col">Epoch</th>
        <th scope="col">By</th>
        <th scope="col">Reason</th>
        <th scope="col">Since</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) =>
          html`<tr>
            <td>${describeScope(r.scope)}</td>
            <td>${r.active ? "stopped" : "lifted, agent still disabled"}</td>
            <td>${r.epoch}</td>
            <td>${actorOf(r.activatedBy)}</td>
            <td>${r.reason || "—"}</td>
            <td>${when(r.activatedAt)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The acknowledgement progress: the fragment the page polls (and renders once server-side). */
export function acksFragment(s: StatusResponse): Html {
  const confirmed = s.consumers.filter((c) => c.confirmed);
  const summary =
    s.consumers.length === 0
      ? "No consumer has acknowledged any epoch recently."
      : `${confirmed.length} of ${s.consumers.length} consumers confirmed epoch ${s.epoch}`;
  return html`<p class="progress-line">
      <strong id="ack-summary">${summary}</strong>
      ${s.consumers.length > 0 && html`<meter min="0" max="${s.consumers.length}" value="${confirmed.length}" aria-labelledby="ack-summary"></meter>`}
    </p>
    ${
      s.consumers.length > 0 &&
      html`<table>
        <thead>
          <tr>
            <th scope="col">Consumer</th>
            <th scope="col">Instance</th>
            <th scope="col">Acknowledged epoch</th>
            <th scope="col">Confirmed</th>
            <th scope="col">Heard from</th>
          </tr>
        </thead>
        <tbody>
          ${s.consumers.map(
            (c) =>
              html`<tr class="${c.confirmed ? "ack-yes" : "ack-no"}">
                <td>${actorOf(c.acknowledgement?.consumer)}</td>
                <td><code>${c.acknowledgement?.instanceId ?? "—"}</code></td>
                <td>${c.acknowledgement?.epoch ?? "—"}</td>
                <td>${c.confirmed ? "✔ yes" : "✘ not yet"}</td>
                <td>${span(c.ageMs)} ago</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
    <p class="hint">Refreshed from the kill-switch service's Status every 2 seconds · epoch ${s.epoch}</p>`;
}

/** What a person typed, given back on a refusal so nothing has to be typed twice in an incident. */
type Kept = Readonly<Record<string, string>>;

function activateForm(csrf: string, active: boolean, kept: Kept = {}): Html {
  const kind = kept["scope_kind"] ?? "global";
  return html`<section class="card" aria-labelledby="activate-h">
    <h2 id="activate-h">${active ? "Stop more" : "Activate an emergency stop"}</h2>
    <form method="post" action="/stop/activate" class="stack" aria-label="Activate an emergency stop">
      ${hiddenCsrf(csrf)}
      <fieldset>
        <legend>Scope</legend>
        ${SCOPE_KINDS.map(
          (k) =>
            html`<label class="inline"
              ><input type="radio" name="scope_kind" value="${k}" ${k === kind ? html`checked` : ""} />
              ${k}</label
            >`,
        )}
        <label for="stop-env">Environment (for an environment stop)</label>
        <select id="stop-env" name="environment">
          ${STOP_ENVIRONMENTS.map(
            (e) =>
              html`<option value="${e}" ${kept["environment"] === e ? html`selected` : ""}>${e}</option>`,
          )}
        </select>
        <label for="stop-target">Agent or service id (for an agent or service stop)</label>
        <input
          id="stop-target"
          type="text"
          name="target"
          autocomplete="off"
          value="${kept["target"] ?? ""}"
        />
      </fieldset>
      <label for="stop-reason">Reason (required)</label>
      <textarea id="stop-reason" name="reason" required maxlength="1000">${kept["reason"] ?? ""}</textarea>
      <p class="hint">
        The stop is activated as you, with your sign-in; the kill-switch service decides whether your roles
        may.
      </p>
      <button type="submit" class="stop">Emergency stop</button>
    </form>
  </section>`;
}

function resumeSection(s: StatusResponse, who: string, csrf: string, kept: Kept = {}): Html | "" {
  const state = s.state;
  if (state === undefined || !state.active) return "";
  const { askedBy, missing } = resumeProgress(state);
  const mine = askedBy.some((a) => a.approver?.id === who);
  const needed =
    askedBy.length === 0
      ? html`Two distinct people must approve: one holding <strong>engineering-lead</strong>, one holding
          <strong>security-lead</strong>, each with the same review reference, root cause, prevention and
          scopes.`
      : html`A second, distinct person is
        needed${missing.length > 0 ? html`, holding <strong>${missing.join(" or ")}</strong>` : ""}, giving
        the same review reference, root cause, prevention and scopes.`;
  return html`<section class="card" aria-labelledby="resume-h">
    <h2 id="resume-h">Resume (two people)</h2>
    ${
      askedBy.length === 0
        ? html`<p>Nobody has asked to resume yet.</p>`
        : html`<ul class="plain" aria-label="Asked to resume">
            ${askedBy.map(
              (a) =>
                html`<li>
                  <strong>${a.approver?.id ?? "—"}</strong>
                  (${a.approver?.roles.join(", ") || "no roles"}) asked to resume at ${when(a.approvedAt)}
                </li>`,
            )}
          </ul>`
    }
    <p class="notice">${needed}</p>
    ${mine && html`<p class="notice" role="status">You already asked to resume: the service will not count you twice.</p>`}
    <form method="post" action="/stop/resume" class="stack" aria-label="Approve resuming">
      ${hiddenCsrf(csrf)}
      <input type="hidden" name="epoch" value="${s.epoch}" />
      <label for="r-ref">Post-incident review reference</label>
      <input
        id="r-ref"
        type="text"
        name="review_ref"
        required
        placeholder="INC-2026-017"
        value="${kept["review_ref"] ?? ""}"
      />
      <label for="r-cause">Root cause</label>
      <textarea id="r-cause" name="root_cause" required>${kept["root_cause"] ?? ""}</textarea>
      <label for="r-prev">Prevention measures</label>
      <textarea id="r-prev" name="prevention" required>${kept["prevention"] ?? ""}</textarea>
      ${
        state.scopes.length > 1 &&
        html`<fieldset>
          <legend>Scopes to lift (none ticked: all)</legend>
          ${state.scopes.map(
            (sc) =>
              html`<label class="inline"
                ><input type="checkbox" name="scope" value="${scopeKey(sc)}" /> ${describeScope(sc)}</label
              >`,
          )}
        </fieldset>`
      }
      <label for="r-agents">Agents that may run again (comma-separated; others stay disabled)</label>
      <input
        id="r-agents"
        type="text"
        name="re_enable_agents"
        autocomplete="off"
        value="${kept["re_enable_agents"] ?? ""}"
      />
      <button type="submit" class="approve">Approve resuming</button>
    </form>
  </section>`;
}

const DONE: Readonly<Record<string, string>> = {
  activated: "The emergency stop is active. Consumers are acknowledging it below.",
  "resume-recorded": "Your approval to resume was recorded. A second, distinct person must approve too.",
  resumed: "The stop was lifted by two people.",
};

const httpStatusOf = (code: Status | undefined): 400 | 403 | 409 | 502 =>
  code === Status.PERMISSION_DENIED || code === Status.UNAUTHENTICATED
    ? 403
    : code === Status.INVALID_ARGUMENT
      ? 400
      : code === Status.FAILED_PRECONDITION || code === Status.ABORTED
        ? 409
        : 502;

const keep = (body: Record<string, unknown>, names: readonly string[]): Kept =>
  Object.fromEntries(names.map((n) => [n, field(body, n).slice(0, 2000)]));

export function registerStop(app: ConsoleApp, deps: ConsoleDeps): void {
  const now = deps.now ?? (() => new Date());
  const frame = (c: Context<Env>): Frame => ({
    title: "Emergency stop",
    section: "/stop",
    who: c.var.who,
    csrf: c.var.csrfToken,
    devMode: deps.devSignIn !== undefined,
    script: true,
  });

  const show = async (
    c: Context<Env>,
    message: { error?: string; ok?: string } = {},
    status: 200 | 400 | 403 | 409 | 502 = 200,
    kept: { activation?: Kept; resume?: Kept } = {},
  ) => {
    const result = await attempt("kill-switch", () => deps.backends.killSwitch(c.var.token).status({}));
    const head = html`<h1>Emergency stop</h1>
      ${alert(message.error)}${done(message.ok)}`;
    if (!result.ok)
      return c.html(
        page(
          frame(c),
          html`${head}${alert(result.message)}${activateForm(c.var.csrfToken, false, kept.activation)}`,
        ),
        status === 200 ? httpStatusOf(result.code) : status,
      );
    const s = result.value;
    return c.html(
      page(
        frame(c),
        html`${head}${stateCard(s, now())}
          <section class="card" aria-labelledby="acks-h">
            <h2 id="acks-h">Acknowledgements</h2>
            <div data-poll="/stop/acks" aria-live="polite">${acksFragment(s)}</div>
            <noscript
              ><p><a href="/stop">Refresh</a></p></noscript
            >
          </section>
          <div class="grid2">
            ${activateForm(c.var.csrfToken, s.state?.active === true, kept.activation)}
            ${resumeSection(s, c.var.who.id, c.var.csrfToken, kept.resume)}
          </div>`,
      ),
      status,
    );
  };

  app.get("/stop", (c) => {
    const key = c.req.query("done");
    return show(c, key !== undefined && DONE[key] !== undefined ? { ok: DONE[key] } : {});
  });

  app.get("/stop/acks", async (c) => {
    const result = await attempt("kill-switch", () => deps.backends.killSwitch(c.var.token).status({}));
    if (!result.ok) return c.html(html`${alert(result.message)}`.__html, httpStatusOf(result.code));
    return c.html(acksFragment(result.value).__html);
  });

  app.post("/stop/activate", async (c) => {
    const body = await c.req.parseBody();
    const { scope, reason, problems } = parseActivation(body);
    const activation = keep(body, ["scope_kind", "environment", "target", "reason"]);
    if (problems.length > 0 || scope === undefined)
      return show(c, { error: problems.join("; ") }, 400, { activation });
    const result = await attempt("kill-switch", () =>
      deps.backends.killSwitch(c.var.token).activate({ scopes: [scope], reason }),
    );
    if (!result.ok) {
      deps.log?.({ who: c.var.who.id, scope: describeScope(scope), refusal: result.message }, "stop refused");
      return show(c, { error: result.message }, httpStatusOf(result.code), { activation });
    }
    deps.log?.({ who: c.var.who.id, scope: describeScope(scope) }, "emergency stop activated");
    return c.redirect("/stop?done=activated", 303);
  });

  app.post("/stop/resume", async (c) => {
    const body = await c.req.parseBody({ all: true });
    const one = (name: string) => field(body, name);
    const problems: string[] = [];
    const epochText = one("epoch");
    if (!/^\d{1,15}$/.test(epochText)) problems.push("epoch: the page's epoch is missing; reload the page");
    const reviewRef = one("review_ref");
    const rootCause = one("root_cause");
    const prevention = one("prevention");
    if (reviewRef === "") problems.push("review_ref: the post-incident review reference, e.g. INC-2026-017");
    if (rootCause === "") problems.push("root_cause: required");
    if (prevention === "") problems.push("prevention: required");
    for (const [name, value] of [
      ["review_ref", reviewRef],
      ["root_cause", rootCause],
      ["prevention", prevention],
    ] as const)
      if (value.length > 2000) problems.push(`${name}: at most 2000 characters`);
    const agents = one("re_enable_agents")
      .split(",")
      .map((a) => a.trim())
      .filter((a) => a !== "");
    const badAgents = agents.filter((a) => !NAME.test(a));
    if (badAgents.length > 0) problems.push(`re_enable_agents: not an agent id: ${badAgents.join(", ")}`);
    const rawScopes = body["scope"];
    const scopeKeys = (
      Array.isArray(rawScopes) ? rawScopes : rawScopes === undefined ? [] : [rawScopes]
    ).filter((v): v is string => typeof v === "string");
    const scopes = scopeKeys.map(scopeFromKey);
    if (scopes.some((s) => s === undefined))
      problems.push("scope: not a scope of this stop; reload the page");
    const resume = keep(body, ["review_ref", "root_cause", "prevention", "re_enable_agents"]);
    if (problems.length > 0) return show(c, { error: problems.join("; ") }, 400, { resume });
    const result = await attempt("kill-switch", () =>
      deps.backends.killSwitch(c.var.token).deactivate({
        epoch: Number(epochText),
        reviewRef,
        rootCause,
        prevention,
        reEnableAgents: agents,
        scopes: scopes.filter((s): s is Scope => s !== undefined),
      }),
    );
    if (!result.ok) {
      deps.log?.({ who: c.var.who.id, refusal: result.message }, "resume refused");
      return show(c, { error: result.message }, httpStatusOf(result.code), { resume });
    }
    return c.redirect(`/stop?done=${result.value.deactivated ? "resumed" : "resume-recorded"}`, 303);
  });
}
