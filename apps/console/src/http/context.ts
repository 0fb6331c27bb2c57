// What every route gets: the backends, the CSRF signer, the clock, and per request the verified
// person and their token (set by the session middleware in app.ts).
import type { Hono } from "hono";
import type { Principal, TokenVerifier } from "@warden/identity";
import { ClientError, Status } from "nice-grpc";
import type { Backends } from "../backends.ts";
import type { Csrf } from "./session.ts";

export interface ConsoleDeps {
  backends: Backends;
  verifier: TokenVerifier;
  csrf: Csrf;
  /** Mints a development sign-in token; undefined outside development mode. */
  devSignIn?: ((user: string, roles: readonly string[]) => Promise<string>) | undefined;
  sessionTtlMs: number;
  secureCookies: boolean;
  /** Expected Origin of POSTs (Hono's csrf middleware); default: the request's own origin. */
  publicOrigin?: string | undefined;
  now?: () => Date;
  /** The health page verifies this many of the newest audit records (0: the whole chain). */
  healthVerifyLast?: number;
  /** Where refusals and failures are logged. */
  log?: (fields: Record<string, unknown>, message: string) => void;
}

export type Env = { Variables: { who: Principal; token: string; csrfToken: string } };
export type ConsoleApp = Hono<Env>;

/** A failed call as a person should read it: the API's own message, and what it means. */
/**
 * grpc-js's UNAVAILABLE details read "No connection established. Last error: Error: connect
 * ECONNREFUSED 127.0.0.1:42591. Resolution note: …": a person needs the last error only.
 */
export function transportCause(details: string): string {
  const last = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/s.exec(details);
  return last?.[1] !== undefined && last[1] !== "" ? last[1] : details;
}

export function rpcMessage(err: unknown, service: string): string {
  if (err instanceof ClientError) {
    const details = err.details || "no details";
    switch (err.code) {
      case Status.PERMISSION_DENIED:
        return `Refused by the ${service} service: ${details}`;
      case Status.FAILED_PRECONDITION:
        return `Not possible now (${service} service): ${details}`;
      case Status.INVALID_ARGUMENT:
        return `The ${service} service did not accept the input: ${details}`;
      case Status.NOT_FOUND:
        return `Not found (${service} service): ${details}`;
      case Status.UNAUTHENTICATED:
        return `Your sign-in was not accepted by the ${service} service: ${details}. Sign in again.`;
      case Status.UNAVAILABLE:
      case Status.DEADLINE_EXCEEDED:
      case Status.CANCELLED:
        return `The ${service} service is not answering (${Status[err.code]}): ${transportCause(details)}`;
      default:
        return `The ${service} service failed (${Status[err.code]}): ${details}`;
    }
  }
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError"))
    return `The ${service} service did not answer in time`;
  return `The ${service} service failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** Runs a call; on failure gives back the message instead of throwing. */
export async function attempt<T>(
  service: string,
  run: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; message: string; code?: Status }> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    return {
      ok: false,
      message: rpcMessage(err, service),
      ...(err instanceof ClientError && { code: err.code }),
    };
  }
}

/** A form field as a trimmed string ("" when absent or a file). */
export function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === "string" ? value.trim() : "";
}
