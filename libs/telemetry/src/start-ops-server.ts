import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** The result of one health check. */
export interface CheckResult {
  ok: boolean;
  /** Why it failed (or a short status); never secrets. */
  detail?: string;
}

export interface HealthReport {
  ok: boolean;
  checks: Record<string, CheckResult>;
}

export type HealthFn = () => Promise<HealthReport>;

export interface OpsServerOptions {
  /** 0 picks a free port; the bound one is on the result. */
  port: number;
  /** Listen address; default all interfaces (`0.0.0.0`). */
  host?: string;
  registry: Registry;
  /** Liveness, served on `/healthz`. */
  health: HealthFn;
  /** Readiness, served on `/readyz`; defaults to `health`. */
  ready?: HealthFn;
  /**
   * A service's own HTTP routes on the same port (e.g. the kill switch's `/api/emergency-stop`):
   * tried first; resolves true when it answered the request.
   */
  routes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface OpsServer {
  readonly port: number;
  readonly host: string;
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The per-service ops HTTP server: `GET /metrics` (Prometheus text), `GET /healthz` and
 * `GET /readyz` (200 `{status:"ok", checks}`; 503 `{status:"failing", failing:[names], checks}`).
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const host = options.host ?? "0.0.0.0";
  const ready = options.ready ?? options.health;
  const routes = options.routes;
  const server = createServer((req, res) => {
    const answer = async (): Promise<void> => {
      if (routes !== undefined && (await routes(req, res))) return;
      await handle(req, res, options.registry, options.health, ready);
    };
    answer().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    port: address.port,
    host: address.address,
    url: `http://${urlHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  registry: Registry,
  health: HealthFn,
  ready: HealthFn,
): Promise<void> {
  const path = new URL(req.url ?? "/", "http://ops").pathname;
  const routes: Record<string, () => Promise<void>> = {
    "/metrics": async () => {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(req.method === "HEAD" ? undefined : body);
    },
    "/healthz": () => sendHealth(req, res, health),
    "/readyz": () => sendHealth(req, res, ready),
  };
  const route = routes[path];
  if (route === undefined) {
    sendJson(req, res, 404, { error: "not found", paths: Object.keys(routes) });
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    sendJson(req, res, 405, { error: "method not allowed" });
    return;
  }
  await route();
}

async function sendHealth(req: IncomingMessage, res: ServerResponse, health: HealthFn): Promise<void> {
  let report: HealthReport;
  try {
    report = await health();
  } catch (err) {
    report = {
      ok: false,
      checks: { health: { ok: false, detail: err instanceof Error ? err.message : "health check threw" } },
    };
  }
  const failing = Object.entries(report.checks)
    .filter(([, check]) => !check.ok)
    .map(([name]) => name);
  if (report.ok && failing.length === 0) {
    sendJson(req, res, 200, { status: "ok", checks: report.checks });
  } else {
    sendJson(req, res, 503, { status: "failing", failing, checks: report.checks });
  }
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : text);
}

/** A named check: resolves (or returns true) when healthy; false or a throw means failing. */
export type HealthCheck = () => Promise<boolean | void | string> | boolean | void | string;

/**
 * Builds a health function from named checks, run in parallel, each bounded by `timeoutMs`
 * (default 2000). A check may resolve to a string: it becomes the healthy check's `detail`.
 */
export function healthFrom(checks: Record<string, HealthCheck>, timeoutMs = 2000): HealthFn {
  return async () => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => [
        name,
        await runCheck(check, timeoutMs),
      ]),
    );
    const results = Object.fromEntries(entries);
    return { ok: entries.every(([, result]) => result.ok), checks: results };
  };
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `timed out after ${timeoutMs}ms` }), timeoutMs);
  });
  const run = (async (): Promise<CheckResult> => {
    try {
      const outcome = await check();
      if (outcome === false) return { ok: false, detail: "check returned false" };
      return typeof outcome === "string" ? { ok: true, detail: outcome } : { ok: true };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : "check failed" };
    }
  })();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
