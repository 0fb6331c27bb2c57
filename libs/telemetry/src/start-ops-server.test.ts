import { Counter } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMetricsRegistry } from "./create-metrics-registry.ts";
import { healthFrom, startOpsServer } from "./start-ops-server.ts";
import type { HealthFn, OpsServer } from "./start-ops-server.ts";

const servers: OpsServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(health: HealthFn, ready?: HealthFn) {
  const registry = createMetricsRegistry({ service: "ops-test" });
  const server = await startOpsServer({
    port: 0,
    host: "127.0.0.1",
    registry,
    health,
    ...(ready ? { ready } : {}),
  });
  servers.push(server);
  return { server, registry };
}

const healthy: HealthFn = () => Promise.resolve({ ok: true, checks: { nats: { ok: true } } });

describe("startOpsServer", () => {
  it("binds a free port when asked for port 0", async () => {
    const { server } = await start(healthy);
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it("serves Prometheus text on /metrics with default and custom metrics", async () => {
    const { server, registry } = await start(healthy);
    const counter = new Counter({ name: "warden_test_events_total", help: "events", registers: [registry] });
    counter.inc(3);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('warden_test_events_total{service="ops-test"} 3');
    expect(text).toContain("process_cpu_user_seconds_total");
  });

  it("answers /healthz 200 with the checks when healthy", async () => {
    const { server } = await start(healthy);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", checks: { nats: { ok: true } } });
  });

  it("answers /healthz 503 naming the failing checks", async () => {
    const { server } = await start(
      healthFrom({ nats: () => true, mongo: () => Promise.reject(new Error("connection refused")) }),
    );
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: "failing",
      failing: ["mongo"],
      checks: { nats: { ok: true }, mongo: { ok: false, detail: "connection refused" } },
    });
  });

  it("answers 503 when the health function itself throws", async () => {
    const { server } = await start(() => Promise.reject(new Error("broken")));
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "failing", failing: ["health"] });
  });

  it("serves /readyz from its own function, else from health", async () => {
    const notReady: HealthFn = () =>
      Promise.resolve({ ok: false, checks: { streams: { ok: false, detail: "provisioning" } } });
    const { server } = await start(healthy, notReady);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const { server: other } = await start(healthy);
    expect((await fetch(`${other.url}/readyz`)).status).toBe(200);
  });

  it("answers 404 for other paths and 405 for other methods", async () => {
    const { server } = await start(healthy);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("fails to start on a port in use", async () => {
    const { server } = await start(healthy);
    await expect(
      startOpsServer({
        port: server.port,
        host: "127.0.0.1",
        registry: createMetricsRegistry({ service: "x", defaultMetrics: false }),
        health: healthy,
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});

describe("healthFrom", () => {
  it("times out a slow check", async () => {
    const health = healthFrom(
      { slow: () => new Promise<void>(() => undefined), quick: () => "3 consumers" },
      20,
    );
    expect(await health()).toEqual({
      ok: false,
      checks: {
        slow: { ok: false, detail: "timed out after 20ms" },
        quick: { ok: true, detail: "3 consumers" },
      },
    });
  });

  it("treats false as failing", async () => {
    expect(await healthFrom({ kv: () => false })()).toEqual({
      ok: false,
      checks: { kv: { ok: false, detail: "check returned false" } },
    });
  });
});
