// Entry point: `node services/audit/src/main.ts` (runService: config → telemetry → start → signals).
import { runService } from "@warden/service";
import { loadConfig } from "./config.ts";

await runService({
  name: "audit",
  loadConfig: () => loadConfig(),
  start: async (config) => (await import("./start-audit-service.ts")).startAuditService(config),
});
