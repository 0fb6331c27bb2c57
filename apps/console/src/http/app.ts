// The console's HTTP app (Hono): security headers (a strict CSP: only this origin's CSS and
// script), an Origin check and a CSRF token on every POST, the session middleware (a verified
// bearer token, else the sign-in page), the sign-in pages, and the sections' routes.
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { csrf as originCheck } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { registerApprovals } from "./approvals.ts";
import { registerAudit } from "./audit.ts";
import { registerHealth } from "./health.ts";
import { registerStop } from "./stop.ts";
import { field } from "./context.ts";
import type { ConsoleApp, ConsoleDeps, Env } from "./context.ts";
import { html } from "./html.ts";
import { alert, hiddenCsrf, page } from "./layout.ts";
import { clearSession, CSRF_FIELD, sessionToken, setSession } from "./session.ts";

const asset = (name: string): string => readFileSync(new URL(`../public/${name}`, import.meta.url), "utf8");
const CSS = asset("console.css");
const JS = asset("console.js");

const USER = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const ROLE = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Paths anyone may open (the rest needs a session). */
const PUBLIC = new Set([
  "/sign-in",
  "/healthz",
  "/readyz",
  "/favicon.ico",
  "/static/console.css",
  "/static/console.js",
]);

export function createConsoleApp(deps: ConsoleDeps): ConsoleApp {
  const app = new Hono<Env>();
  const devMode = deps.devSignIn !== undefined;
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
  app.use(originCheck(deps.publicOrigin === undefined ? {} : { origin: deps.publicOrigin }));

  app.get("/healthz", (c) => c.text("ok"));
  app.get("/readyz", (c) => c.text("ok"));
  // No icon: an empty answer rather than a 404 in every browser's console.
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/static/console.css", (c) =>
    c.body(CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "max-age=300" }),
  );
  app.get("/static/console.js", (c) =>
    c.body(JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "max-age=300" }),
  );

  // Every request: a CSRF token for its forms; every POST: the token checked first.
  app.use(async (c, next) => {
    c.set("csrfToken", deps.csrf.tokenFor(c));
    if (c.req.method === "POST") {
      const body = await c.req.parseBody();
      if (!deps.csrf.valid(c, body[CSRF_FIELD])) {
        deps.log?.({ path: c.req.path }, "CSRF token missing or wrong: refused");
        return c.html(
          page(
            { title: "Form expired", csrf: c.var.csrfToken, devMode },
            html`<h1>This form has expired</h1>
              ${alert(`${CSRF_FIELD}: the form's security token is missing or does not match this browser. Go back, reload the page and submit again.`)}`,
          ),
          403,
        );
      }
    }
    return next();
  });

  // The session: a bearer token the identity verifier accepts, else sign in.
  app.use(async (c, next) => {
    if (PUBLIC.has(c.req.path) || c.req.path === "/sign-out") return next();
    const token = sessionToken(c);
    if (token !== undefined) {
      try {
        c.set("who", await deps.verifier.verify(token));
        c.set("token", token);
        return next();
      } catch (err) {
        deps.log?.({ err: err instanceof Error ? err.message : String(err) }, "session token refused");
        clearSession(c);
      }
    }
    if (c.req.method !== "GET") return c.text("sign in first", 401);
    return c.redirect(`/sign-in?next=${encodeURIComponent(c.req.path)}`, 303);
  });

  const signInPage = (
    csrf: string,
    next: string,
    message?: string,
    values = { user: "", roles: "" },
  ): string =>
    page(
      { title: "Sign in", csrf, devMode },
      devMode
        ? html`<h1>Sign in (development)</h1>
            ${alert(message)}
            <form class="card" method="post" action="/sign-in" aria-describedby="dev-note">
              <p id="dev-note" class="notice">
                Development mode: you choose who you are. The console mints a token with the local issuer (the
                key
                <code>warden dev token</code> uses); the services check it like any other.
              </p>
              ${hiddenCsrf(csrf)}
              <input type="hidden" name="next" value="${next}" />
              <label for="user">User id</label>
              <input
                id="user"
                type="text"
                name="user"
                required
                autocomplete="username"
                value="${values.user}"
              />
              <label for="roles">Roles (comma-separated)</label>
              <input
                id="roles"
                type="text"
                name="roles"
                value="${values.roles}"
                aria-describedby="roles-hint"
              />
              <p id="roles-hint" class="hint">
                e.g. team-lead, on-call-engineer, engineering-lead, security-lead, auditor
              </p>
              <button type="submit" class="primary">Sign in</button>
            </form>`
        : html`<h1>Sign in</h1>
            ${alert("Single sign-on (OIDC) is not implemented in this build.")}`,
    );

  const safeNext = (value: string): string =>
    /^\/[A-Za-z0-9/_.%-]*$/.test(value) && !value.startsWith("//") ? value : "/approvals";

  app.get("/sign-in", (c) =>
    c.html(signInPage(c.var.csrfToken, safeNext(c.req.query("next") ?? "/approvals"))),
  );

  app.post("/sign-in", async (c) => {
    if (deps.devSignIn === undefined) return c.text("sign-in is not available", 404);
    const body = await c.req.parseBody();
    const user = field(body, "user");
    const rolesText = field(body, "roles");
    const roles = rolesText
      .split(",")
      .map((r) => r.trim())
      .filter((r) => r !== "");
    const next = safeNext(field(body, "next"));
    const problems: string[] = [];
    if (!USER.test(user))
      problems.push("user: 1 to 64 letters, digits, . _ @ or -, starting with a letter or digit");
    const bad = roles.filter((r) => !ROLE.test(r));
    if (bad.length > 0) problems.push(`roles: ${bad.join(", ")}: lower-case letters, digits and -`);
    if (roles.length > 16) problems.push("roles: at most 16");
    if (problems.length > 0)
      return c.html(signInPage(c.var.csrfToken, next, problems.join("; "), { user, roles: rolesText }), 400);
    const token = await deps.devSignIn(user, roles);
    setSession(c, token, Math.floor(deps.sessionTtlMs / 1000), { secure: deps.secureCookies });
    deps.log?.({ user, roles }, "signed in (development)");
    return c.redirect(next, 303);
  });

  app.post("/sign-out", (c) => {
    clearSession(c);
    return c.redirect("/sign-in", 303);
  });

  app.get("/", (c) => c.redirect("/approvals", 303));
  registerApprovals(app, deps);
  registerStop(app, deps);
  registerHealth(app, deps);
  registerAudit(app, deps);
  app.notFound((c) =>
    c.html(
      page(
        { title: "Not found", csrf: c.var.csrfToken ?? "", devMode, ...(c.var.who && { who: c.var.who }) },
        html`<h1>Not found</h1>
          <p>No page at <code>${c.req.path}</code>.</p>`,
      ),
      404,
    ),
  );
  return app;
}
