// Entry point: `node services/audit/src/main.ts`. Config and OpenTelemetry come first; the service
// modules are imported only afterwards, because instrumentation (nice-grpc-opentelemetry) takes its
// tracer when it is first loaded.
import { initTelemetry, traceExporterFrom } from "@warden/telemetry";
import { loadConfig } from "./config.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = initTelemetry({ service: "audit", exporter: traceExporterFrom(config) });
  const { startAuditService } = await import("./start-audit-service.ts");
  const running = await startAuditService(config);

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
  // Bad config or a failed start: the reason on stderr (a config error lists every bad key).
  process.stderr.write(`audit: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
