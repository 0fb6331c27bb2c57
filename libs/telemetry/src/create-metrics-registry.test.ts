import { describe, expect, it } from "vitest";
import { createMetricsRegistry } from "./create-metrics-registry.ts";
import { rpcMetrics } from "./rpc-metrics.ts";

describe("createMetricsRegistry", () => {
  it("keeps the default Node metrics but not the gauges named *_total that promtool rejects", async () => {
    for (const prefix of [undefined, "warden_"]) {
      const text = await createMetricsRegistry({
        service: "t",
        ...(prefix === undefined ? {} : { prefix }),
      }).metrics();
      const p = prefix ?? "";
      expect(text).toContain(`# TYPE ${p}nodejs_active_handles gauge`);
      expect(text).toContain(`# TYPE ${p}process_cpu_seconds_total counter`);
      // every *_total family is a counter
      const gaugesNamedTotal = [...text.matchAll(/^# TYPE (\S+_total) (\S+)$/gm)].filter(
        ([, , type]) => type !== "counter",
      );
      expect(gaugesNamedTotal.map(([, name]) => name)).toEqual([]);
    }
  });
});

describe("rpcMetrics", () => {
  it("is one pair of metrics per registry, labelled by system, method and code", async () => {
    const registry = createMetricsRegistry({ service: "t", defaultMetrics: false });
    rpcMetrics(registry).observe("grpc", "/a.B/C", "OK", 0.002);
    rpcMetrics(registry).observe("nats", "wardenrpc.x.*", "invalid_schema", 0.001);
    const lines = (await registry.metrics()).split("\n");
    const value = (name: string, labels: string[]) =>
      lines
        .find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)))
        ?.split(" ")[1];
    const grpc = ['service="t"', 'rpc_system="grpc"', 'method="/a.B/C"', 'code="OK"'];
    const nats = ['service="t"', 'rpc_system="nats"', 'method="wardenrpc.x.*"', 'code="invalid_schema"'];
    expect(value("warden_rpc_requests_total", grpc)).toBe("1");
    expect(value("warden_rpc_requests_total", nats)).toBe("1");
    expect(value("warden_rpc_duration_seconds_sum", grpc)).toBe("0.002");
    expect(value("warden_rpc_duration_seconds_count", nats)).toBe("1");
  });
});
