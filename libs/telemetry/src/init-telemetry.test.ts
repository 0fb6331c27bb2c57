import { context, propagation, trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { initTelemetry } from "./init-telemetry.ts";
import type { Telemetry } from "./init-telemetry.ts";

let telemetry: Telemetry | undefined;

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
});

function traceparentInside(
  t: Telemetry,
  parent = context.active(),
): { recording: boolean; traceparent?: string } {
  return t.tracer.startActiveSpan("work", {}, parent, (span) => {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    const recording = span.isRecording();
    span.end();
    return { recording, ...(carrier["traceparent"] && { traceparent: carrier["traceparent"] }) };
  });
}

describe("initTelemetry sampling", () => {
  it("without an exporter records no spans, yet still creates and propagates trace context", () => {
    telemetry = initTelemetry({ service: "sampling-test" });
    const inside = traceparentInside(telemetry);
    expect(inside.recording).toBe(false);
    // Not sampled (flags 00), but a real trace id: events and logs still correlate.
    expect(inside.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(inside.traceparent).not.toMatch(/^00-0{32}-/);
  });

  it("keeps a sampled remote parent's decision even without an exporter", () => {
    telemetry = initTelemetry({ service: "sampling-test" });
    const parent = propagation.extract(context.active(), {
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
    const inside = traceparentInside(telemetry, parent);
    expect(inside.recording).toBe(true);
    expect(inside.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
  });

  it("records new traces when spans are exported (control: the default differs by exporter)", () => {
    telemetry = initTelemetry({ service: "sampling-test", exporter: { kind: "console" } });
    const inside = traceparentInside(telemetry);
    expect(inside.recording).toBe(true);
    expect(inside.traceparent).toMatch(/-01$/);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
