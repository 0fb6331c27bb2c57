import { ServerError, Status } from "nice-grpc-common";
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from "nice-grpc-common";
import type { Logger } from "pino";
import { isAbortError } from "./is-abort-error.ts";

/** Fields a later middleware or a handler may add to the call's access-log line (principal id, action id…). */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Added by `loggingMiddleware`: a per-call pino child and a way to annotate the access-log line. */
export type LoggingCallContext = {
  /** Child of the server logger bound to `{ method }` (the @warden/telemetry logger adds trace_id); handlers log through it. */
  logger: Logger;
  /**
   * Binds fields to `logger` from now on, so they appear on later lines, error reports and the
   * access line logged when the call ends. Bind each key once; never pass secrets.
   */
  annotate(fields: LogFields): void;
};

/** Statuses that are the caller's doing or normal flow: logged at info. Everything else at warn. */
const CALLER_STATUSES: ReadonlySet<Status> = new Set([
  Status.OK,
  Status.CANCELLED,
  Status.INVALID_ARGUMENT,
  Status.NOT_FOUND,
  Status.ALREADY_EXISTS,
  Status.PERMISSION_DENIED,
  Status.FAILED_PRECONDITION,
  Status.ABORTED,
  Status.OUT_OF_RANGE,
  Status.UNAUTHENTICATED,
]);

/**
 * One access-log line per call: method, status, duration, principal id (when auth annotated it).
 * Never logs metadata, so the bearer token never reaches a log. Failures with details worth paging
 * for are logged by the error-mapping middleware; this line only records the outcome.
 */
export function loggingMiddleware(logger: Logger): ServerMiddleware<LoggingCallContext> {
  return async function* logging<Request, Response>(
    call: ServerMiddlewareCall<Request, Response, LoggingCallContext>,
    context: CallContext,
  ): AsyncGenerator<Response, Response | void, undefined> {
    const method = call.method.path;
    const callLogger = logger.child({ method });
    const started = performance.now();
    let status = Status.OK;
    try {
      return yield* call.next(call.request, {
        ...context,
        logger: callLogger,
        annotate: (fields) => callLogger.setBindings(fields),
      });
    } catch (err) {
      status = err instanceof ServerError ? err.code : isAbortError(err) ? Status.CANCELLED : Status.UNKNOWN;
      throw err;
    } finally {
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      const line = { status: Status[status], durationMs };
      if (CALLER_STATUSES.has(status)) callLogger.info(line, "grpc call");
      else callLogger.warn(line, "grpc call");
    }
  };
}
