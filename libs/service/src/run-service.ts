// The entry point every service's main.ts calls. Config and OpenTelemetry come first; the service
// modules are imported only afterwards (by `start`, with a dynamic import), because instrumentation
// (nice-grpc-opentelemetry) takes its tracer when it is first loaded.
import { initTelemetry, traceExporterFrom } from "@warden/telemetry";
import type { Telemetry, TraceExporterOption } from "@warden/telemetry";

/** What a started service hands back: how to stop it. */
export type StartedService = {
  /** Stops taking work, finishes what is in flight, closes connections. */
  stop(): Promise<void>;
};

/**
 * What `start` gets of the telemetry runService set up: `resource` and `spanProcessor` let a root
 * export spans recorded elsewhere with its own (e.g. `temporalWorkerTracing(telemetry)` for the
 * Temporal workflow sandbox); a test host may leave them out.
 */
export type ServiceTelemetry = Pick<Telemetry, "shutdown"> &
  Partial<Pick<Telemetry, "resource" | "spanProcessor">>;

/** The trace keys of `serviceKeys` every service's config has. */
export type TraceConfig = Parameters<typeof traceExporterFrom>[0];

export type RunServiceOptions<C extends TraceConfig, R extends StartedService> = {
  /** The service name: telemetry's `service.name` and the prefix of a failed start's message. */
  name: string;
  /** Parses the environment; throws ConfigError listing every bad key. */
  loadConfig: () => C;
  /**
   * Imports the composition root and starts it, e.g.
   * `async (config) => (await import("./start-x-service.ts")).startXService(config)`.
   * The import must be dynamic so that it runs after telemetry is set up. `telemetry` is what
   * runService started (for a root that wires it into a library, e.g. a Temporal worker).
   */
  start: (config: C, telemetry: ServiceTelemetry) => Promise<R>;
  /** Called on SIGHUP (e.g. re-read a bundle); without it SIGHUP keeps Node's default. */
  onHangup?: ((running: R) => void) | undefined;
};

/** The process as runService uses it; tests pass their own. */
export type ServiceHost = {
  onSignal(signal: "SIGTERM" | "SIGINT" | "SIGHUP", handler: () => void): void;
  writeError(text: string): void;
  exit(code: number): void;
  initTelemetry(options: { service: string; exporter: TraceExporterOption }): ServiceTelemetry;
};

const processHost: ServiceHost = {
  onSignal: (signal, handler) => process.on(signal, handler),
  writeError: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
  initTelemetry,
};

/**
 * config → telemetry → start → SIGTERM / SIGINT stop gracefully (once) and exit 0. A bad config or a
 * failed start prints `<name>: <message>` on stderr (a config error lists every bad key) and exits 1.
 */
export async function runService<C extends TraceConfig, R extends StartedService>(
  options: RunServiceOptions<C, R>,
  host: ServiceHost = processHost,
): Promise<void> {
  try {
    const config = options.loadConfig();
    const telemetry = host.initTelemetry({ service: options.name, exporter: traceExporterFrom(config) });
    const running = await options.start(config, telemetry);

    let stopping = false;
    const shutdown = async (): Promise<void> => {
      if (stopping) return;
      stopping = true;
      await running.stop();
      await telemetry.shutdown().catch(() => undefined);
      host.exit(0);
    };
    host.onSignal("SIGTERM", () => void shutdown());
    host.onSignal("SIGINT", () => void shutdown());
    const { onHangup } = options;
    if (onHangup !== undefined) host.onSignal("SIGHUP", () => onHangup(running));
  } catch (err) {
    host.writeError(`${options.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    host.exit(1);
  }
}
