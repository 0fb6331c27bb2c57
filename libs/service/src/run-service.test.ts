import { describe, expect, it, vi } from "vitest";
import { runService } from "./run-service.ts";
import type { ServiceHost } from "./run-service.ts";

type Signal = "SIGTERM" | "SIGINT" | "SIGHUP";

function fakeHost() {
  const handlers = new Map<Signal, () => void>();
  const events: string[] = [];
  const host: ServiceHost = {
    onSignal: (signal, handler) => handlers.set(signal, handler),
    writeError: (text) => events.push(`stderr ${text}`),
    exit: (code) => events.push(`exit ${code}`),
    initTelemetry: (options) => {
      events.push(`telemetry ${options.service} ${options.exporter.kind}`);
      return { shutdown: () => Promise.resolve(events.push("telemetry shutdown")).then(() => undefined) };
    },
  };
  const signal = (name: Signal): void => {
    const handler = handlers.get(name);
    if (handler === undefined) throw new Error(`no ${name} handler`);
    handler();
  };
  return { host, events, handlers, signal };
}

const config = { OTEL_TRACES_EXPORTER: "none" as const };

describe("runService", () => {
  it("starts after telemetry, stops once on SIGTERM / SIGINT, then exits 0", async () => {
    const { host, events, signal } = fakeHost();
    const running = { stop: vi.fn(() => Promise.resolve(events.push("stop")).then(() => undefined)) };
    await runService(
      {
        name: "demo",
        loadConfig: () => config,
        start: (c) => {
          events.push(`start ${c.OTEL_TRACES_EXPORTER}`);
          return Promise.resolve(running);
        },
      },
      host,
    );
    expect(events).toEqual(["telemetry demo none", "start none"]);

    signal("SIGTERM");
    signal("SIGINT");
    await vi.waitFor(() => expect(events).toContain("exit 0"));
    expect(events).toEqual(["telemetry demo none", "start none", "stop", "telemetry shutdown", "exit 0"]);
    expect(running.stop).toHaveBeenCalledTimes(1);
  });

  it("hands start the telemetry it set up (for a root that wires it into a library)", async () => {
    const { host } = fakeHost();
    const made: object[] = [];
    const recording: ServiceHost = {
      ...host,
      initTelemetry: (options) => {
        const telemetry = host.initTelemetry(options);
        made.push(telemetry);
        return telemetry;
      },
    };
    const given: object[] = [];
    await runService(
      {
        name: "demo",
        loadConfig: () => config,
        start: (_c, telemetry) => {
          given.push(telemetry);
          return Promise.resolve({ stop: () => Promise.resolve() });
        },
      },
      recording,
    );
    expect(made).toHaveLength(1);
    expect(given).toEqual(made);
    expect(given[0]).toBe(made[0]);
  });

  it("hands SIGHUP to onHangup, and leaves SIGHUP alone without it", async () => {
    const withHangup = fakeHost();
    const reload = vi.fn<() => void>();
    const running = { stop: () => Promise.resolve(), reload };
    await runService(
      {
        name: "demo",
        loadConfig: () => config,
        start: () => Promise.resolve(running),
        onHangup: (r: typeof running) => {
          r.reload();
        },
      },
      withHangup.host,
    );
    withHangup.signal("SIGHUP");
    expect(reload).toHaveBeenCalledTimes(1);

    const without = fakeHost();
    await runService(
      { name: "demo", loadConfig: () => config, start: () => Promise.resolve(running) },
      without.host,
    );
    expect([...without.handlers.keys()].sort()).toEqual(["SIGINT", "SIGTERM"]);
  });

  it("a bad config prints `<name>: <message>` and exits 1 before telemetry or start", async () => {
    const { host, events } = fakeHost();
    const start = vi.fn(() => Promise.resolve({ stop: () => Promise.resolve() }));
    await runService(
      {
        name: "demo",
        loadConfig: (): typeof config => {
          throw new Error("invalid configuration (1 problem):\n  NATS_URL: required");
        },
        start,
      },
      host,
    );
    expect(events).toEqual([
      "stderr demo: invalid configuration (1 problem):\n  NATS_URL: required\n",
      "exit 1",
    ]);
    expect(start).not.toHaveBeenCalled();
  });

  it("a failed start prints `<name>: <message>` and exits 1", async () => {
    const { host, events } = fakeHost();
    await runService(
      {
        name: "demo",
        loadConfig: () => config,
        start: () => Promise.reject(new Error("nats: connection refused")),
      },
      host,
    );
    expect(events).toEqual(["telemetry demo none", "stderr demo: nats: connection refused\n", "exit 1"]);
  });
});
