// Entry point: `node services/rollback-monitor/src/main.ts` (runService: config → telemetry → start → signals).
import { runService } from "@warden/service";
import { loadConfig } from "./config.ts";

await runService({
  name: "rollback-monitor",
  loadConfig: () => loadConfig(),
  start: async (config) => (await import("./start-rollback-monitor.ts")).startRollbackMonitor(config),
});
