// Test doubles for the console's unit tests: in-memory backends that record each call with the
// token it carried and answer from fixtures (or refuse like the real services, with a ClientError),
// and a browser-like client over app.request() that keeps cookies and fills in the CSRF token.
import { approvalV1, auditV1, commonV1, killswitchV1, policyV1 } from "@warden/contracts";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { ClientError } from "nice-grpc";
import type { Status } from "nice-grpc";
import type { Backends, MetricSource } from "../backends.ts";
import { createConsoleApp } from "../http/app.ts";
import type { ConsoleApp, ConsoleDeps } from "../http/context.ts";
import { createCsrf } from "../http/session.ts";

export interface Call {
  method: string;
  token: string;
  request: unknown;
}

export type Handler = (request: never, token: string) => unknown;

export interface FakeBackends extends Backends {
  calls: Call[];
  /** Answers per method name (`approval.get`, `killSwitch.status`, …). */
  answers: Record<string, Handler>;
  metricsText: Partial<Record<MetricSource, string>>;
}

export const refuse = (code: Status, details: string): never => {
  throw new ClientError("/fake", code, details);
};

export function fakeBackends(): FakeBackends {
  const calls: Call[] = [];
  const answers: Record<string, Handler> = {};
  const api = (service: string, token: string) =>
    new Proxy(
      {},
      {
        get: (_t, method: string) => (request: unknown) => {
          const name = `${service}.${method}`;
          calls.push({ method: name, token, request });
          const answer = answers[name];
          if (answer === undefined) throw new Error(`fake: no answer for ${name}`);
          const value = answer(request as never, token);
          if (method === "export") return value;
          return Promise.resolve(value);
        },
      },
    ) as never;
  const metricsText: Partial<Record<MetricSource, string>> = {};
  return {
    calls,
    answers,
    metricsText,
    approval: (t) => api("approval", t),
    killSwitch: (t) => api("killSwitch", t),
    audit: (t) => api("audit", t),
    policy: (t) => api("policy", t),
    metrics: (source) => Promise.resolve(metricsText[source]),
    close: () => undefined,
  };
}

export const NOW = new Date("2026-12-03T12:00:00Z");

export function pendingApproval(overrides: Partial<approvalV1.Approval> = {}): approvalV1.Approval {
  return approvalV1.Approval.fromPartial({
    actionId: "act-1",
    workflowId: "approval-act-1",
    status: approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING,
    request: {
      actionId: "act-1",
      agentId: "release-pipeline",
      action: "change.deploy",
      target: "service/payments-api",
      environment: commonV1.Environment.ENVIRONMENT_PRODUCTION,
      changeType: commonV1.ChangeType.CHANGE_TYPE_CODE,
      versionChange: commonV1.VersionChange.VERSION_CHANGE_MINOR,
      requestedBy: { type: commonV1.ActorType.ACTOR_TYPE_HUMAN, id: "carol", roles: [] },
      reason: "ship <2.4.0>",
      ai: { model: "claude-sonnet-4", rationale: "tests green, canary healthy", confidence: 0.82 },
    },
    requirement: {
      workflow: "production-deploy",
      minApprovers: 2,
      eligibleRoles: ["team-lead", "on-call-engineer"],
      requiredRoles: ["team-lead"],
    },
    riskLevel: commonV1.RiskLevel.RISK_LEVEL_HIGH,
    matchedRules: [
      {
        ruleId: "prod.minor",
        effect: policyV1.Effect.EFFECT_APPROVAL_REQUIRED,
        reason: "minor release to production",
      },
    ],
    requestDigest: "sha256:abc",
    votes: [],
    recommendations: [
      {
        voter: { type: commonV1.ActorType.ACTOR_TYPE_AI_AGENT, id: "reviewer-bot", roles: [] },
        decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
        comment: "diff is small",
        counted: false,
      },
    ],
    escalationLevel: 0,
    currentRoles: ["team-lead", "on-call-engineer"],
    createdAt: new Date(NOW.getTime() - 30 * 60_000),
    levelDeadline: new Date(NOW.getTime() + 90 * 60_000),
    ...overrides,
  });
}

export interface Browser {
  get(path: string): Promise<Response>;
  /** Posts a form; the CSRF token of the last page is added unless `csrf` is given (or null). */
  post(
    path: string,
    form: Record<string, string>,
    options?: { csrf?: string | null; origin?: string },
  ): Promise<Response>;
  /** The CSRF token of the last HTML page seen. */
  csrf(): string | undefined;
  cookies: Map<string, string>;
}

export function browser(app: ConsoleApp, origin = "http://console.test"): Browser {
  const cookies = new Map<string, string>();
  let lastCsrf: string | undefined;
  const keep = async (response: Response): Promise<Response> => {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ""] = header.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/Max-Age=0/i.test(header) || value === "") cookies.delete(name);
      else cookies.set(name, value);
    }
    if ((response.headers.get("content-type") ?? "").includes("text/html")) {
      const text = await response.clone().text();
      lastCsrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? lastCsrf;
    }
    return response;
  };
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return {
    cookies,
    csrf: () => lastCsrf,
    get: async (path) => keep(await app.request(`${origin}${path}`, { headers: { cookie: cookieHeader() } })),
    post: async (path, form, options = {}) => {
      const token = options.csrf === undefined ? lastCsrf : options.csrf;
      const body = new URLSearchParams({
        ...form,
        ...(token !== null && token !== undefined && { _csrf: token }),
      });
      return keep(
        await app.request(`${origin}${path}`, {
          method: "POST",
          body,
          headers: {
            cookie: cookieHeader(),
            "content-type": "application/x-www-form-urlencoded",
            origin: options.origin ?? origin,
          },
        }),
      );
    },
  };
}

export interface World {
  app: ConsoleApp;
  backends: FakeBackends;
  issuer: DevIssuer;
  logged: { fields: Record<string, unknown>; message: string }[];
}

export async function consoleWorld(overrides: Partial<ConsoleDeps> = {}): Promise<World> {
  const issuer = await createDevIssuer({ issuer: "warden-test", audience: "warden" });
  const backends = fakeBackends();
  const logged: World["logged"] = [];
  const app = createConsoleApp({
    backends,
    verifier: issuer.verifier(),
    csrf: createCsrf("test-secret-test-secret-test-secret", { secure: false }),
    devSignIn: (user, roles) => issuer.issue({ sub: user, roles, expiresIn: "1h" }),
    sessionTtlMs: 3600_000,
    secureCookies: false,
    now: () => NOW,
    log: (fields, message) => logged.push({ fields, message }),
    ...overrides,
  });
  return { app, backends, issuer, logged };
}

/** Signs in through the dev sign-in form. */
export async function signIn(b: Browser, user: string, roles: string): Promise<Response> {
  await b.get("/sign-in");
  return b.post("/sign-in", { user, roles, next: "/approvals" });
}

export { auditV1, killswitchV1, policyV1 };
