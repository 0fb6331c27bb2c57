import { ROOT_CONTEXT, SpanStatusCode, context, propagation, trace } from "@opentelemetry/api";
import type { Context, Span, SpanOptions, TextMapGetter, TextMapSetter } from "@opentelemetry/api";

// Generic carriers for W3C trace context over the global OpenTelemetry propagator (registered by
// initTelemetry). NATS headers and gRPC metadata adapt to these in @warden/messaging and @warden/grpc.

/** Writes one propagation header. */
export type HeaderSetter = (key: string, value: string) => void;
/** Reads one propagation header; `undefined` when absent. */
export type HeaderGetter = (key: string) => string | undefined;

const setter: TextMapSetter<HeaderSetter> = {
  set: (carrier, key, value) => carrier(key, value),
};

const getter: TextMapGetter<HeaderGetter> = {
  get: (carrier, key) => carrier(key),
  keys: () => [],
};

/** Injects the trace context of `ctx` (default: the active context) through `set`. */
export function injectInto(set: HeaderSetter, ctx: Context = context.active()): void {
  propagation.inject(ctx, set, setter);
}

/** The context carried by the headers `get` reads, on top of `base` (default: the root context). */
export function contextFrom(get: HeaderGetter, base: Context = ROOT_CONTEXT): Context {
  return propagation.extract(base, get, getter);
}

/** Injects into anything with `set(key, value)`: NATS `MsgHdrs`, gRPC `Metadata`, `Headers`, `Map`. */
export function injectTraceContext(
  carrier: { set(key: string, value: string): unknown },
  ctx?: Context,
): void {
  injectInto((key, value) => {
    carrier.set(key, value);
  }, ctx);
}

/**
 * Extracts from anything with `get(key)`: a string, a list of strings (gRPC metadata: the first
 * string wins), or nothing.
 */
export function extractTraceContext(carrier: { get(key: string): unknown }, base?: Context): Context {
  return contextFrom((key) => firstString(carrier.get(key)), base);
}

/** Injects into a plain record (lower-case keys, as W3C and gRPC use); returns the record. */
export function injectIntoRecord<R extends Record<string, string>>(record: R, ctx?: Context): R {
  injectInto((key, value) => {
    (record as Record<string, string>)[key] = value;
  }, ctx);
  return record;
}

/** Extracts from a plain record; keys are matched case-insensitively. */
export function contextFromRecord(record: Readonly<Record<string, unknown>>, base?: Context): Context {
  return contextFrom((key) => {
    const exact = firstString(record[key]);
    if (exact !== undefined) return exact;
    const lower = key.toLowerCase();
    const found = Object.keys(record).find((candidate) => candidate.toLowerCase() === lower);
    return found === undefined ? undefined : firstString(record[found]);
  }, base);
}

/** The W3C `traceparent` of `ctx` (default: the active context), for the event envelope. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const record: Record<string, string> = {};
  return injectIntoRecord(record, ctx)["traceparent"];
}

/** The context an envelope's `traceparent` (and optional `tracestate`) describes. */
export function contextFromTraceparent(
  traceparent: string | undefined,
  tracestate?: string,
  base?: Context,
): Context {
  const record: Record<string, string> = {};
  if (traceparent !== undefined) record["traceparent"] = traceparent;
  if (tracestate !== undefined) record["tracestate"] = tracestate;
  return contextFromRecord(record, base);
}

/** The trace id of `ctx` (default: active), or undefined outside a valid span. */
export function traceIdOf(ctx: Context = context.active()): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext === undefined || !trace.isSpanContextValid(spanContext)
    ? undefined
    : spanContext.traceId;
}

export interface WithSpanOptions extends SpanOptions {
  /** Parent context (default: the active one), e.g. from {@link contextFrom}. */
  parent?: Context;
  /** Tracer name (default `warden`). */
  tracer?: string;
}

/**
 * Runs `fn` inside a new active span that ends when `fn` settles; a thrown error is recorded on the
 * span (status ERROR) and rethrown.
 */
export async function withSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  options: WithSpanOptions = {},
): Promise<T> {
  const { parent, tracer: tracerName = "warden", ...spanOptions } = options;
  const tracer = trace.getTracer(tracerName);
  return tracer.startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      if (err instanceof Error) span.recordException(err);
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: err instanceof Error ? err.message : String(err),
      });
      throw err;
    } finally {
      span.end();
    }
  });
}

function firstString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    const first: unknown = value.find((item) => typeof item === "string");
    return typeof first === "string" ? first : undefined;
  }
  return undefined;
}
