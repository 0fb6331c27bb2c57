// Entry point: `node services/kill-switch/src/main.ts`. Config and OpenTelemetry come first; the
// service modules are imported only afterwards (instrumentation takes its tracer when first loaded).
import { initTelemetry, traceExporterFrom } from "@warden/telemetry";
import { loadConfig } from "./config.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = initTelemetry({ service: "kill-switch", exporter: traceExporterFrom(config) });
  const { startKillSwitchService } = await import("./start-kill-switch-service.ts");
  const running = await startKillSwitchService(config);
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    await telemetry.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown());
  process.on("SIGINT", () => void shutdown());
}

main().catch((err: unknown) => {
  process.stderr.write(`kill-switch: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
