import type { Principal } from "./principal.ts";
export type AuthErrorCode =
  "missing" | "expired" | "wrong_issuer" | "wrong_audience" | "bad_signature" | "malformed";

/** The caller is not authenticated (gRPC UNAUTHENTICATED, HTTP 401); the message names the reason. */
export class AuthError extends Error {
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuthError";
    this.code = code;
  }
}

/** The caller is authenticated but lacks roles (gRPC PERMISSION_DENIED, HTTP 403). */
export class PermissionError extends Error {
  readonly principalId: string;
  readonly missingRoles: readonly string[];
  /** The verified caller, when the thrower had it (so a refusal event can name who was refused). */
  readonly principal: Principal | undefined;

  constructor(principalId: string, missingRoles: readonly string[], principal?: Principal) {
    const noun = missingRoles.length === 1 ? "role" : "roles";
    super(`principal "${principalId}" lacks the required ${noun}: ${missingRoles.join(", ")}`);
    this.name = "PermissionError";
    this.principalId = principalId;
    this.missingRoles = missingRoles;
    this.principal = principal;
  }
}

/**
 * The identity provider's key set could not be fetched (network, timeout, bad response): not the
 * caller's fault (gRPC UNAVAILABLE, HTTP 503).
 */
export class JwksUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JwksUnavailableError";
  }
}
