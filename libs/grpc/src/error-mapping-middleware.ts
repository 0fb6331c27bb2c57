import { randomUUID } from "node:crypto";
import { AuthError, JwksUnavailableError, PermissionError } from "@warden/identity";
import { ServerError, Status } from "nice-grpc-common";
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from "nice-grpc-common";
import { WardenError } from "./errors.ts";
import type { WardenErrorCode } from "./errors.ts";
import { isAbortError } from "./is-abort-error.ts";
import type { LoggingCallContext } from "./logging-middleware.ts";

/** The one table from domain error codes to gRPC status (README "Error mapping"). */
export const STATUS_BY_ERROR_CODE: Readonly<Record<WardenErrorCode, Status>> = {
  INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  NOT_FOUND: Status.NOT_FOUND,
  ALREADY_EXISTS: Status.ALREADY_EXISTS,
  FAILED_PRECONDITION: Status.FAILED_PRECONDITION,
  ABORTED: Status.ABORTED,
  PERMISSION_DENIED: Status.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: Status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: Status.UNAVAILABLE,
};

/**
 * Maps a known error to the status and message the caller sees, or returns undefined for an
 * unknown one. `ServerError`s thrown on purpose pass through unchanged.
 */
export function knownServerError(err: unknown): ServerError | undefined {
  if (err instanceof ServerError) return err;
  if (err instanceof WardenError) return new ServerError(STATUS_BY_ERROR_CODE[err.code], err.message);
  if (err instanceof AuthError) return new ServerError(Status.UNAUTHENTICATED, err.message);
  if (err instanceof PermissionError) return new ServerError(Status.PERMISSION_DENIED, err.message);
  if (err instanceof JwksUnavailableError)
    return new ServerError(Status.UNAVAILABLE, "identity provider unavailable");
  return undefined;
}

/**
 * Typed errors → gRPC status, in one place. Anything unknown becomes INTERNAL with a generic message
 * and an error id; the error itself (stack, cause, internals) goes only to the log, under that id.
 * Cancellations (AbortError) are rethrown untouched so nice-grpc reports CANCELLED.
 */
export function errorMappingMiddleware(): ServerMiddleware<object, LoggingCallContext> {
  return async function* errorMapping<Request, Response>(
    call: ServerMiddlewareCall<Request, Response, LoggingCallContext>,
    context: CallContext & LoggingCallContext,
  ): AsyncGenerator<Response, Response | void, undefined> {
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      if (isAbortError(err)) throw err;
      const known = knownServerError(err);
      if (known !== undefined) {
        // A dependency outage is worth a look, with its cause; caller mistakes are in the access log.
        if (known.code === Status.UNAVAILABLE && err instanceof Error)
          context.logger.warn({ err }, "dependency unavailable");
        throw known;
      }
      const errorId = randomUUID();
      context.logger.error({ err, errorId }, "unhandled error in grpc handler");
      throw new ServerError(Status.INTERNAL, `internal error (error id ${errorId})`);
    }
  };
}
