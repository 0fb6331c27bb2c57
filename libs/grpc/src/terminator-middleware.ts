import { ServerError, Status } from "nice-grpc-common";
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from "nice-grpc-common";
import { isAbortError } from "./is-abort-error.ts";

/** Context hook used by endless streams (health Watch, audit Tail): opt in to being ended at shutdown. */
export type TerminatorCallContext = { abortOnTerminate(): void };

export type Terminator = {
  middleware: ServerMiddleware<TerminatorCallContext>;
  /** Ends every opted-in stream with UNAVAILABLE so graceful shutdown need not wait for them. */
  terminate(): void;
};

/**
 * Endless server streams would hold graceful shutdown until the grace period ran out. A handler
 * calls `context.abortOnTerminate()`; at shutdown its `context.signal` is aborted and the call ends
 * with UNAVAILABLE ("server shutting down"), so clients reconnect to another replica.
 */
export function createTerminator(): Terminator {
  const live = new Set<AbortController>();
  let terminated = false;

  async function* terminator<Request, Response>(
    call: ServerMiddlewareCall<Request, Response, TerminatorCallContext>,
    context: CallContext,
  ): AsyncGenerator<Response, Response | void, undefined> {
    const controller = new AbortController();
    const onCallAbort = (): void => controller.abort();
    context.signal.addEventListener("abort", onCallAbort, { once: true });
    if (context.signal.aborted) controller.abort();
    let optedIn = false;
    try {
      return yield* call.next(call.request, {
        ...context,
        signal: controller.signal,
        abortOnTerminate: () => {
          optedIn = true;
          if (terminated) controller.abort();
          else live.add(controller);
        },
      });
    } catch (err) {
      if (optedIn && terminated && isAbortError(err) && !context.signal.aborted) {
        throw new ServerError(Status.UNAVAILABLE, "server shutting down");
      }
      throw err;
    } finally {
      live.delete(controller);
      context.signal.removeEventListener("abort", onCallAbort);
    }
  }

  return {
    middleware: terminator,
    terminate() {
      terminated = true;
      for (const controller of live) controller.abort();
      live.clear();
    },
  };
}
