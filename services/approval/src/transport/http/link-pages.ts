// Server-rendered pages of the signed approval links: the confirmation page (GET), the result
// page and the refusal page (POST). Plain HTML with inline CSS, no script, no external resource;
// every value escaped (html.ts). High-contrast colours, labelled fields, one h1 per page.
import type { ApprovalView } from "../../workflows/contract.ts";
import type { LinkRefusal, LinkRefusalReason } from "../../domain/approval-notice.ts";
import type { LinkClaims } from "../../domain/link-token.ts";
import { html } from "./html.ts";
import type { Html } from "./html.ts";

const STYLE = `
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; background: #f4f4f5; margin: 0; }
main { max-width: 40rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem; border: 1px solid #d4d4d8; border-radius: 8px; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 1rem; }
dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
.risk-high, .risk-critical { color: #9a1010; font-weight: 700; }
.notice { background: #fef9c3; border-left: 4px solid #a16207; padding: .5rem 1rem; }
.refused { background: #fee2e2; border-left: 4px solid #9a1010; padding: .5rem 1rem; }
.done { background: #dcfce7; border-left: 4px solid #166534; padding: .5rem 1rem; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
textarea, input[type=password] { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; border: 2px solid #52525b; border-radius: 4px; }
button { font: inherit; font-weight: 700; margin-top: 1rem; padding: .6rem 1.4rem; border: 0; border-radius: 4px; color: #fff; cursor: pointer; }
button.approve { background: #166534; } button.reject { background: #9a1010; }
:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
.hint { color: #3f3f46; font-size: .9rem; margin: .25rem 0 0; }
`;

function page(title: string, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>${title} · Warden</title>
        <style>
          ${{ __html: STYLE }}
        </style>
      </head>
      <body>
        <main>${body}</main>
      </body>
    </html> `.__html;
}

const VERB = { approve: "Approve", reject: "Reject" } as const;

function summary(claims: LinkClaims, approval: ApprovalView | undefined): Html {
  return html`<dl>
    <dt>Action</dt>
    <dd><code>${claims.actionId}</code></dd>
    <dt>Agent</dt>
    <dd>${claims.agentId}</dd>
    <dt>Change</dt>
    <dd>${claims.summary || "(no summary)"}</dd>
    <dt>Risk</dt>
    <dd class="risk-${claims.risk}">${claims.risk}</dd>
    <dt>Environment</dt>
    <dd>${claims.environment}</dd>
    ${
      approval &&
      html`<dt>Status</dt>
        <dd>${approval.status}</dd>
        <dt>Approvals</dt>
        <dd>
          ${approval.approvals} of
          ${approval.required}${
            approval.missingRoles.length > 0
              ? html` (still missing: ${approval.missingRoles.join(", ")})`
              : ""
          }
        </dd>
        ${
          approval.levelDeadline &&
          html`<dt>Deadline</dt>
            <dd>${approval.levelDeadline}</dd>`
        }`
    }
    <dt>Link for</dt>
    <dd>${claims.approver}</dd>
    <dt>Link expires</dt>
    <dd>${claims.expiresAt.toISOString()}</dd>
  </dl>`;
}

export interface ConfirmationPage {
  claims: LinkClaims;
  approval: ApprovalView | undefined;
  used: boolean;
  bearerRequired: boolean;
  /** The form's action (this page's own path, with the token). */
  action: string;
  token: string;
}

/** The page a link opens: what the person is about to do, and a form that POSTs the vote. */
export function confirmationPage(p: ConfirmationPage): string {
  const verb = VERB[p.claims.decision];
  const title = `${verb} this action?`;
  const closed = p.used
    ? "This link was already used: each link votes once."
    : p.approval === undefined
      ? "There is no pending approval for this action (it may have finished or never existed)."
      : p.approval.status !== "pending"
        ? `This approval is ${p.approval.status}: no vote can be cast now.`
        : undefined;
  const what =
    p.claims.decision === "approve"
      ? html`You are about to cast an <strong>approving</strong> vote as
          <strong>${p.claims.approver}</strong>.`
      : html`You are about to <strong>reject</strong> this action as <strong>${p.claims.approver}</strong>; a
          reason is required.`;
  const form = html`<form method="post" action="${p.action}">
    <input type="hidden" name="token" value="${p.token}" />
    ${
      p.bearerRequired &&
      html`<label for="bearer">Your sign-in token (required for ${p.claims.risk} risk)</label>
        <input
          type="password"
          id="bearer"
          name="bearer"
          required
          autocomplete="off"
          aria-describedby="bearer-hint"
        />
        <p class="hint" id="bearer-hint">
          Paste your own Warden bearer token (e.g. from <code>warden login</code>); the link alone is not
          enough for this risk.
        </p>`
    }
    <label for="comment"
      >${p.claims.decision === "reject" ? "Reason (required)" : "Comment (optional)"}</label
    >
    <textarea
      id="comment"
      name="comment"
      rows="3"
      ${p.claims.decision === "reject" ? html` required` : ""}
    ></textarea>
    <button type="submit" class="${p.claims.decision}">${verb}</button>
  </form>`;
  return page(
    title,
    html`<h1>${title}</h1>
      ${summary(p.claims, p.approval)}
      ${
        closed === undefined
          ? html`<p class="notice">
                ${what} Nothing happens until you press <strong>${verb}</strong>. The vote counts once; then
                the link stops working.
              </p>
              ${form}`
          : html`<p class="refused" role="alert">${closed}</p>`
      }`,
  );
}

/** After a vote was recorded. */
export function resultPage(claims: LinkClaims, approval: ApprovalView): string {
  const title = claims.decision === "approve" ? "Approval recorded" : "Rejection recorded";
  return page(
    title,
    html`<h1>${title}</h1>
      <p class="done" role="status">
        Your vote (${claims.decision}) on <code>${claims.actionId}</code> was recorded. The approval is now
        <strong>${approval.status}</strong>: ${approval.approvals} of ${approval.required} approvals.
      </p>
      ${summary(claims, approval)}`,
  );
}

const REFUSAL_TITLE: Record<LinkRefusalReason, string> = {
  expired: "This link has expired",
  tampered: "This link is not valid",
  malformed: "This link is not valid",
  reused: "This link was already used",
  wrong_approver: "This link is for someone else",
  unauthenticated: "Sign-in needed",
  forbidden_origin: "Request refused",
  invalid_input: "Something is missing",
  vote_refused: "Vote refused",
};

const REFUSAL_HINT: Record<LinkRefusalReason, string> = {
  expired: "Ask for a fresh link, or vote with the warden CLI.",
  tampered: "Open the link exactly as it was sent to you.",
  malformed: "Open the link exactly as it was sent to you.",
  reused: "Each link votes once. Check the approval's status with the warden CLI.",
  wrong_approver: "Only the person a link was sent to can use it.",
  unauthenticated: "Go back, paste your own sign-in token and try again.",
  forbidden_origin: "Votes are accepted only from the confirmation page itself.",
  invalid_input: "Go back and fill in the required field.",
  vote_refused: "Nothing was counted.",
};

/** A refused link use: the reason in plain words. */
export function refusalPage(refusal: LinkRefusal): string {
  const title = REFUSAL_TITLE[refusal.reason];
  return page(
    title,
    html`<h1>${title}</h1>
      <p class="refused" role="alert">${refusal.message}</p>
      <p>${REFUSAL_HINT[refusal.reason]}</p>
      ${refusal.actionId && html`<p class="hint">Action <code>${refusal.actionId}</code></p>`}`,
  );
}
