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
    const value = query.includes("empty")
      ? []
      : [{ metric: {}, value: [time, query.includes("baseline") ? "0.01" : "0.025"] }];
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ status: "success", data: { resultType: "vector", result: value } }));
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
    ).rejects.toThrow(/400 for broken\(/);
  });
});
