import { AuthError, PermissionError } from "@warden/identity";
import type { Principal } from "@warden/identity";
import { ServerError, Status } from "nice-grpc-common";
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from "nice-grpc-common";
import type { LoggingCallContext } from "./logging-middleware.ts";

/** A call refused at the door: no or a bad credential, or a verified caller without a role. */
export type GrpcRefusal = {
  /** Full method path, `/warden.policy.v1.PolicyService/Evaluate`. */
  method: string;
  code: "unauthenticated" | "permission_denied";
  /** The message the caller is given. */
  reason: string;
  /** The verified caller (permission_denied only, when the thrower had it). */
  principal?: Principal;
  missingRoles: readonly string[];
  /** The caller's address as grpc-js reports it. */
  peer: string;
};

/** Told of every refusal before the caller gets it; a failure is logged, never turns into another error. */
export type RefusalListener = (refusal: GrpcRefusal) => Promise<void> | void;

function refusalOf(err: unknown): Omit<GrpcRefusal, "method" | "peer"> | undefined {
  if (err instanceof AuthError) return { code: "unauthenticated", reason: err.message, missingRoles: [] };
  if (err instanceof PermissionError)
    return {
      code: "permission_denied",
      reason: err.message,
      missingRoles: err.missingRoles,
      ...(err.principal !== undefined && { principal: err.principal }),
    };
  if (err instanceof ServerError && err.code === Status.UNAUTHENTICATED)
    return { code: "unauthenticated", reason: err.details, missingRoles: [] };
  if (err instanceof ServerError && err.code === Status.PERMISSION_DENIED)
    return { code: "permission_denied", reason: err.details, missingRoles: [] };
  return undefined;
}

/**
 * Runs inside the error mapping, so it sees the typed AuthError / PermissionError (from the auth
 * middleware or a handler's own role check) and tells `listener` before the error is mapped and
 * answered. The refusal is awaited: the record exists before the caller hears no.
 */
export function refusalMiddleware(listener: RefusalListener): ServerMiddleware<object, LoggingCallContext> {
  return async function* refusals<Request, Response>(
    call: ServerMiddlewareCall<Request, Response, LoggingCallContext>,
    context: CallContext & LoggingCallContext,
  ): AsyncGenerator<Response, Response | void, undefined> {
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal !== undefined) {
        try {
          await listener({ ...refusal, method: call.method.path, peer: context.peer });
        } catch (listenerErr) {
          context.logger.error({ err: listenerErr }, "could not record an access refusal");
        }
      }
      throw err;
    }
  };
}
