import { bearerFrom, requireRoles } from "@warden/identity";
import type { Principal } from "@warden/identity";
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from "nice-grpc-common";
import type { LoggingCallContext } from "./logging-middleware.ts";

/** What the auth middleware needs from `@warden/identity`'s `createTokenVerifier(...)`. */
export type TokenVerifier = { verify(token: string): Promise<Principal> };

/** Added by `authMiddleware`: the verified caller. Handlers read `context.principal`. */
export type AuthCallContext = { principal: Principal };

export type AuthMiddlewareOptions = {
  verifier: TokenVerifier;
  /** Roles the caller needs for a method, by full path (`/warden.approval.v1.ApprovalService/Decide`). */
  rolesFor?: (methodPath: string) => readonly string[] | undefined;
};

/**
 * Reads `authorization: Bearer <jwt>`, verifies it, and puts the Principal into the call context.
 * No token, an expired one, a wrong issuer or key → `AuthError` (UNAUTHENTICATED, with the reason);
 * a valid token without a required role → `PermissionError` (PERMISSION_DENIED, naming the role).
 * Both are mapped by the error-mapping middleware, which runs outside this one.
 * Public methods (health, reflection) are mounted without this middleware; see `createGrpcServer`.
 */
export function authMiddleware(
  options: AuthMiddlewareOptions,
): ServerMiddleware<AuthCallContext, LoggingCallContext> {
  const { verifier, rolesFor } = options;
  return async function* auth<Request, Response>(
    call: ServerMiddlewareCall<Request, Response, AuthCallContext & LoggingCallContext>,
    context: CallContext & LoggingCallContext,
  ): AsyncGenerator<Response, Response | void, undefined> {
    const principal = await verifier.verify(bearerFrom(context.metadata.get("authorization")));
    context.annotate({ principalId: principal.id, principalType: principal.type });
    const roles = rolesFor?.(call.method.path);
    if (roles !== undefined && roles.length > 0) requireRoles(principal, roles);
    return yield* call.next(call.request, { ...context, principal });
  };
}

/**
 * For checks that depend on the request (e.g. a role per resource): throws PermissionError
 * (PERMISSION_DENIED) naming each of `roles` the caller lacks; all are required.
 */
export function requireRole(context: AuthCallContext, ...roles: [string, ...string[]]): void {
  requireRoles(context.principal, roles);
}
