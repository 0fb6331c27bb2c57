// The composition root: config → verifier, dev issuer (development sign-in only), gRPC backends,
// the Hono app on a Node HTTP server. OIDC is configured but not built: start-up fails, never open.
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createDevIssuer } from "@warden/identity";
import { createVerifier } from "@warden/service";
import { createLogger } from "@warden/telemetry";
import { backendTls, grpcBackends } from "./backends.ts";
import type { Backends } from "./backends.ts";
import type { ConsoleConfig } from "./config.ts";
import { createConsoleApp } from "./http/app.ts";
import { createCsrf } from "./http/session.ts";

export interface RunningConsole {
  /** http://host:port of the console. */
  readonly url: string;
  stop(): Promise<void>;
}

export class OidcNotImplementedError extends Error {
  constructor() {
    super(
      "CONSOLE_AUTH=oidc: OIDC sign-in is not implemented in this build (OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET are reserved for it); refusing to start rather than serve without sign-in",
    );
    this.name = "OidcNotImplementedError";
  }
}

export async function startConsole(
  config: ConsoleConfig,
  overrides: { backends?: Backends } = {},
): Promise<RunningConsole> {
  if (config.CONSOLE_AUTH === "oidc") throw new OidcNotImplementedError();
  const log = createLogger({ service: "console", level: config.LOG_LEVEL });
  const verifier = await createVerifier(config);
  const keyFile = config.JWT_DEV_KEY_FILE;
  if (keyFile === undefined) throw new Error("JWT_DEV_KEY_FILE: required with CONSOLE_AUTH=dev");
  const issuer = await createDevIssuer({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, keyFile });
  const ttlSeconds = Math.floor(config.CONSOLE_SESSION_TTL / 1000);
  const backends =
    overrides.backends ??
    grpcBackends({
      approval: config.WARDEN_APPROVAL_ADDR,
      killSwitch: config.WARDEN_KILLSWITCH_ADDR,
      audit: config.WARDEN_AUDIT_ADDR,
      policy: config.WARDEN_POLICY_ADDR,
      metrics: {
        ...(config.WARDEN_POLICY_METRICS_URL && { policy: config.WARDEN_POLICY_METRICS_URL }),
        ...(config.WARDEN_KILLSWITCH_METRICS_URL && { killswitch: config.WARDEN_KILLSWITCH_METRICS_URL }),
        ...(config.WARDEN_APPROVAL_METRICS_URL && { approval: config.WARDEN_APPROVAL_METRICS_URL }),
        ...(config.WARDEN_AUDIT_METRICS_URL && { audit: config.WARDEN_AUDIT_METRICS_URL }),
      },
      timeoutMs: config.CONSOLE_RPC_TIMEOUT,
      tls: backendTls(config),
    });
  const app = createConsoleApp({
    backends,
    verifier,
    csrf: createCsrf(config.CONSOLE_SESSION_SECRET ?? randomBytes(32), {
      secure: config.CONSOLE_SECURE_COOKIES,
    }),
    devSignIn: (user, roles) => issuer.issue({ sub: user, type: "human", roles, expiresIn: ttlSeconds }),
    sessionTtlMs: config.CONSOLE_SESSION_TTL,
    healthVerifyLast: config.CONSOLE_HEALTH_VERIFY_LAST,
    secureCookies: config.CONSOLE_SECURE_COOKIES,
    publicOrigin:
      config.CONSOLE_PUBLIC_URL === undefined ? undefined : new URL(config.CONSOLE_PUBLIC_URL).origin,
    log: (fields, message) => log.info(fields, message),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.CONSOLE_HOST, port: config.CONSOLE_PORT }, () =>
      resolve(s),
    );
    s.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.CONSOLE_HOST}:${address.port}`;
  log.info({ url }, "console listening");
  return {
    url,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      backends.close();
    },
  };
}
