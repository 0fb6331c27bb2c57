import { ServerError, Status } from "nice-grpc-common";
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from "nice-grpc-common";
import type { RpcMetrics } from "@warden/telemetry";
import { isAbortError } from "./is-abort-error.ts";

/**
 * Counts every call and times it, by method (`/package.Service/Method`) and status name, into the
 * service's `warden_rpc_requests_total` / `warden_rpc_duration_seconds` (`rpc_system="grpc"`).
 * Streaming calls are timed until the stream ends.
 */
export function metricsMiddleware(metrics: RpcMetrics): ServerMiddleware {
  return async function* measured<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ): AsyncGenerator<Response, Response | void, undefined> {
    const started = performance.now();
    let status = Status.OK;
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      status = err instanceof ServerError ? err.code : isAbortError(err) ? Status.CANCELLED : Status.UNKNOWN;
      throw err;
    } finally {
      metrics.observe("grpc", call.method.path, Status[status], (performance.now() - started) / 1000);
    }
  };
}
