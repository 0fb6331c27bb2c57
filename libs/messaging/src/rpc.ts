// Request-reply over core NATS on wardenrpc.* subjects (outside every stream). Replies are JSON:
// { ok: true, result } or { ok: false, error: { code, message, issues } }, so any NATS client can
// call a Warden RPC without our libraries.
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { RpcMetrics } from "@warden/telemetry";
import type { Logger } from "pino";
import { z } from "zod";
import { InvalidMessageError } from "./errors.ts";
import type { FieldIssue } from "./errors.ts";
import { traceHeaders } from "./publish.ts";

const tracer = trace.getTracer("@warden/messaging");

export const RpcReply = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ field: z.string(), reason: z.string() })).default([]),
    }),
  }),
]);
export type RpcReply = z.infer<typeof RpcReply>;

export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: string;
  readonly issues: readonly FieldIssue[];
  constructor(code: string, message: string, issues: readonly FieldIssue[] = []) {
    super(message);
    this.code = code;
    this.issues = issues;
  }
}

const encoder = new TextEncoder();

function errorReply(err: unknown): RpcReply {
  if (err instanceof InvalidMessageError) {
    return {
      ok: false,
      error: { code: `invalid_${err.reason}`, message: err.message, issues: [...err.issues] },
    };
  }
  if (err instanceof RpcError) {
    return { ok: false, error: { code: err.code, message: err.message, issues: [...err.issues] } };
  }
  return { ok: false, error: { code: "internal", message: "internal error", issues: [] } };
}

export type RpcHandler = (request: {
  data: Uint8Array;
  subject: string;
  headers: MsgHdrs | undefined;
}) => Promise<unknown>;

/**
 * Serves an RPC subject in a queue group, so replicas share the requests. With `metrics`, each request
 * is counted and timed (`rpc_system="nats"`, `method` = the served subject pattern, so an agent id in
 * the subject never becomes a label value; `code` = `OK` or the error reply's code).
 */
export function serveRpc(
  nc: NatsConnection,
  options: { subject: string; queue: string; handler: RpcHandler; log: Logger; metrics?: RpcMetrics },
): Subscription {
  const respond = async (msg: Msg): Promise<void> => {
    const started = performance.now();
    const parent = propagation.extract(context.active(), msg.headers, {
      get: (carrier, key) => carrier?.get(key) || undefined,
      keys: (carrier) => (carrier ? carrier.keys() : []),
    });
    await tracer.startActiveSpan(
      `rpc ${options.subject}`,
      { kind: SpanKind.SERVER },
      parent,
      async (span) => {
        let reply: RpcReply;
        try {
          reply = {
            ok: true,
            result: await options.handler({ data: msg.data, subject: msg.subject, headers: msg.headers }),
          };
        } catch (err) {
          reply = errorReply(err);
          if (!(err instanceof InvalidMessageError) && !(err instanceof RpcError)) {
            options.log.error({ err, subject: msg.subject }, "rpc handler failed");
            span.recordException(err as Error);
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
        } finally {
          span.end();
        }
        msg.respond(encoder.encode(JSON.stringify(reply)));
        const code = reply.ok ? "OK" : reply.error.code;
        options.metrics?.observe("nats", options.subject, code, (performance.now() - started) / 1000);
      },
    );
  };
  return nc.subscribe(options.subject, {
    queue: options.queue,
    callback: (err, msg) => {
      if (err) {
        options.log.error({ err }, "rpc subscription error");
        return;
      }
      void respond(msg);
    },
  });
}

/** Calls an RPC; resolves to the result or throws RpcError with the responder's code and issues. */
export async function requestRpc(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  options: { timeoutMs?: number } = {},
): Promise<unknown> {
  const { headers } = traceHeaders();
  const msg = await nc.request(subject, payload, { timeout: options.timeoutMs ?? 2_000, headers });
  const reply = RpcReply.parse(msg.json());
  if (!reply.ok) throw new RpcError(reply.error.code, reply.error.message, reply.error.issues);
  return reply.result;
}
