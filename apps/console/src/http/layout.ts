// The page frame: landmarks (header/nav/main), a skip link, one h1 per page, the signed-in person
// and a sign-out form; the CSS and the one script are served by the console itself (no CDN).
import type { Principal } from "@warden/identity";
import { html } from "./html.ts";
import type { Html } from "./html.ts";
import { CSRF_FIELD } from "./session.ts";

export const NAV = [
  ["/approvals", "Approvals"],
  ["/stop", "Emergency stop"],
  ["/audit", "Audit"],
  ["/health", "Governance health"],
] as const;

export interface Frame {
  title: string;
  /** The nav entry this page belongs to. */
  section?: string;
  who?: Principal;
  csrf: string;
  devMode: boolean;
  script?: boolean;
}

export function page(frame: Frame, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>${frame.title} · Warden console</title>
        <link rel="stylesheet" href="/static/console.css" />
        ${frame.script === true && html`<script type="module" src="/static/console.js"></script>`}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <span class="brand">Warden console</span>
          ${
            frame.who !== undefined &&
            html`<nav aria-label="Main">
                <ul>
                  ${NAV.map(
                    ([href, label]) =>
                      html`<li>
                        <a href="${href}" ${frame.section === href ? html`aria-current="page"` : ""}
                          >${label}</a
                        >
                      </li>`,
                  )}
                </ul>
              </nav>
              <form class="who" method="post" action="/sign-out">
                <span
                  >Signed in as
                  <strong>${frame.who.id}</strong> (${frame.who.roles.join(", ") || "no roles"})</span
                >
                <input type="hidden" name="${CSRF_FIELD}" value="${frame.csrf}" />
                <button type="submit">Sign out</button>
              </form>`
          }
        </header>
        ${
          frame.devMode &&
          html`<div class="devbanner" role="note">
            Development sign-in: tokens are minted by the local issuer. Never use this mode for a shared
            installation.
          </div>`
        }
        <main id="main">${body}</main>
      </body>
    </html>`.__html;
}

export const hiddenCsrf = (csrf: string): Html =>
  html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}" />`;

export const alert = (message: string | undefined): Html | "" =>
  message === undefined ? "" : html`<div class="alert" role="alert">${message}</div>`;

export const done = (message: string | undefined): Html | "" =>
  message === undefined ? "" : html`<div class="ok" role="status">${message}</div>`;

/** `ENVIRONMENT_PRODUCTION` → `production`; unspecified → —. */
export function label(value: string | undefined, prefix: string): string {
  if (value === undefined || value === "" || value === `${prefix}UNSPECIFIED`) return "—";
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase().replaceAll("_", "-") : value;
}

export const when = (date: Date | undefined): string =>
  date === undefined
    ? "—"
    : date
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC");

/** `3 min`, `2 h 5 min`, `in 4 min` style durations. */
export function span(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

export function actorOf(actor: { id: string; type: string } | undefined): string {
  if (actor === undefined || actor.id === "") return "—";
  return `${actor.id} (${label(actor.type, "ACTOR_TYPE_")})`;
}
