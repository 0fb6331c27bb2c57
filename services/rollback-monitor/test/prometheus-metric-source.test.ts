// The Prometheus adapter against a small local HTTP server that speaks /api/v1/query.
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prometheusMetricSource } from "../src/adapters/http/prometheus-metric-source.ts";

const seen: URLSearchParams[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://localhost");
    if (u.pathname !== "/api/v1/query") {
      res.writeHead(404).end();
      return;
    }
    seen.push(u.searchParams);
    const query = u.searchParams.get("query") ?? "";
    const time = Number(u.searchParams.get("time"));
    if (query.includes("broken")) {
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ status: "error", error: "parse error" }));
      return;
    }
    const ok = (result: unknown, resultType = "vector") =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ status: "success", data: { resultType, result } }));
    if (query.includes("matrix")) return void ok([{ metric: {}, values: [[time, "1"]] }], "matrix");
    if (query.includes("multi")) {
      return void ok([
        { metric: { pod: "a" }, value: [time, "0.1"] },
        { metric: { pod: "b" }, value: [time, "0.2"] },
      ]);
    }
    if (query.includes("nan")) return void ok([{ metric: {}, value: [time, "NaN"] }]);
    if (query.includes("notjson")) {
      res.writeHead(200, { "content-type": "application/json" }).end("<html>proxy error</html>");
      return;
    }
    const value = query.includes("empty")
      ? []
      : [{ metric: {}, value: [time, query.includes("baseline") ? "0.01" : "0.025"] }];
    ok(value);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const queries = (value: string) => ({
  error_rate: { value, baseline: 'baseline_error_rate{service="{service}"}' },
  latency: { value: "p99", baseline: "baseline_p99" },
});

describe("prometheusMetricSource", () => {
  it("reads the value and the baseline at the given time, placeholders filled", async () => {
    const source = prometheusMetricSource({
      url,
      queries: queries('error_rate{service="{service}",deployment="{deployment}"}'),
    });
    const at = Date.parse("2026-12-03T10:05:00Z");
    const sample = await source.sample(
      { deploymentId: "dep-1", service: "checkout", kind: "error_rate" },
      at,
    );
    expect(sample).toMatchObject({
      kind: "error_rate",
      value: 0.025,
      baseline: 0.01,
      observedAt: at,
      source: "prometheus",
    });
    expect(seen.map((p) => p.get("query"))).toEqual(
      expect.arrayContaining([
        'error_rate{service="checkout",deployment="dep-1"}',
        'baseline_error_rate{service="checkout"}',
      ]),
    );
    expect(seen.at(-1)?.get("time")).toBe("1796292300.000");
  });

  it("an empty result is no sample (missing data)", async () => {
    const source = prometheusMetricSource({ url, queries: queries("empty_series") });
    expect(
      await source.sample({ deploymentId: "d", service: "s", kind: "error_rate" }, Date.now()),
    ).toBeUndefined();
  });

  it("an error answer fails, naming the query", async () => {
    const source = prometheusMetricSource({ url, queries: queries("broken(") });
    await expect(
      source.sample({ deploymentId: "d", service: "s", kind: "error_rate" }, Date.now()),
    ).rejects.toMatchObject({
      name: "MetricSourceError",
      reason: "error_status",
      message: /400 for broken\(/,
    });
  });

  it.each([
    ["a matrix instead of an instant vector", "matrix_q", /unexpected body for matrix_q: data.resultType/],
    ["two series", "multi_q", /2 series for multi_q; the query must select one/],
    ["NaN", "nan_q", /not a finite number for nan_q/],
    ["a body that is not JSON", "notjson_q", /not JSON for notjson_q/],
  ])("fails closed on %s (MetricSourceError invalid, no value)", async (_what, query, message) => {
    const source = prometheusMetricSource({ url, queries: queries(query) });
    await expect(
      source.sample({ deploymentId: "d", service: "s", kind: "error_rate" }, Date.now()),
    ).rejects.toMatchObject({ name: "MetricSourceError", reason: "invalid", message });
  });

  it("fails closed when Prometheus is unreachable (a closed loopback port)", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const source = prometheusMetricSource({ url: `http://127.0.0.1:${port}`, queries: queries("q") });
    await expect(
      source.sample({ deploymentId: "d", service: "s", kind: "error_rate" }, Date.now()),
    ).rejects.toMatchObject({ name: "MetricSourceError", reason: "unreachable" });
  });

  it("escapes the substituted ids inside PromQL string literals", async () => {
    const source = prometheusMetricSource({ url, queries: queries('error_rate{deployment="{deployment}"}') });
    seen.length = 0;
    await source.sample({ deploymentId: 'x"} or vector(1) #', service: "s", kind: "error_rate" }, Date.now());
    expect(seen.map((p) => p.get("query"))).toContain('error_rate{deployment="x\\"} or vector(1) #"}');
  });
});
