import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestTelemetry } from "./init-telemetry.ts";
import type { TestTelemetry } from "./init-telemetry.ts";
import {
  contextFrom,
  contextFromRecord,
  contextFromTraceparent,
  extractTraceContext,
  injectInto,
  injectIntoRecord,
  injectTraceContext,
  traceIdOf,
  traceparentOf,
  withSpan,
} from "./trace-context.ts";

let telemetry: TestTelemetry;

beforeEach(() => {
  telemetry = createTestTelemetry("trace-test");
});

afterEach(async () => {
  await telemetry.shutdown();
});

describe("trace context over carriers", () => {
  it("links a consumer span to the publisher's span through a plain record", () => {
    const headers: Record<string, string> = {};
    telemetry.tracer.startActiveSpan("publish", (span) => {
      injectIntoRecord(headers);
      span.end();
    });
    expect(headers["traceparent"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const remote = contextFromRecord(headers);
    telemetry.tracer.startSpan("consume", {}, remote).end();

    const [publish] = telemetry.spansNamed("publish");
    const [consume] = telemetry.spansNamed("consume");
    expect(publish).toBeDefined();
    expect(consume).toBeDefined();
    expect(consume?.spanContext().traceId).toBe(publish?.spanContext().traceId);
    expect(consume?.parentSpanContext?.spanId).toBe(publish?.spanContext().spanId);
    expect(consume?.parentSpanContext?.isRemote).toBe(true);
  });

  it("works with setter/getter functions and set/get carriers", () => {
    const map = new Map<string, string>();
    const grpcLike = {
      values: new Map<string, string[]>(),
      get(key: string) {
        return this.values.get(key) ?? [];
      },
    };
    withSpanSync("outer", () => {
      injectTraceContext(map);
      injectInto((key, value) => grpcLike.values.set(key, [value]));
    });
    const [outer] = telemetry.spansNamed("outer");
    const fromMap = trace.getSpanContext(extractTraceContext(map));
    const fromGrpc = trace.getSpanContext(extractTraceContext(grpcLike));
    const fromGetter = trace.getSpanContext(contextFrom((key) => map.get(key)));
    for (const spanContext of [fromMap, fromGrpc, fromGetter]) {
      expect(spanContext?.traceId).toBe(outer?.spanContext().traceId);
      expect(spanContext?.spanId).toBe(outer?.spanContext().spanId);
    }
  });

  it("matches record keys case-insensitively", () => {
    let traceparent: string | undefined;
    withSpanSync("s", () => {
      traceparent = traceparentOf();
    });
    const spanContext = trace.getSpanContext(contextFromRecord({ TraceParent: traceparent }));
    expect(spanContext?.traceId).toBe(traceparent?.split("-")[1]);
  });

  it("round-trips the envelope traceparent", async () => {
    const traceparent = await withSpan("build-envelope", () => traceparentOf());
    const [built] = telemetry.spansNamed("build-envelope");
    expect(traceparent).toBe(`00-${built?.spanContext().traceId}-${built?.spanContext().spanId}-01`);
    const restored = contextFromTraceparent(traceparent);
    expect(traceIdOf(restored)).toBe(built?.spanContext().traceId);
    await withSpan("handle", () => undefined, { parent: restored });
    expect(telemetry.spansNamed("handle")[0]?.parentSpanContext?.spanId).toBe(built?.spanContext().spanId);
  });

  it("yields no traceparent and the root context without a span or header", () => {
    expect(traceparentOf(context.active())).toBeUndefined();
    expect(traceIdOf(contextFromRecord({}))).toBeUndefined();
    expect(traceIdOf(contextFromTraceparent("garbage"))).toBeUndefined();
  });

  it("withSpan records a thrown error and rethrows it", async () => {
    await expect(
      withSpan("fails", () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const [span] = telemetry.spansNamed("fails");
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: "boom" });
    expect(span?.events.map((event) => event.name)).toContain("exception");
  });

  it("can be shut down and started again in one process", async () => {
    await telemetry.shutdown();
    telemetry = createTestTelemetry("again");
    await withSpan("second", () => undefined);
    expect(telemetry.spansNamed("second")).toHaveLength(1);
  });
});

function withSpanSync(name: string, fn: () => void): void {
  telemetry.tracer.startActiveSpan(name, (span) => {
    fn();
    span.end();
  });
}
