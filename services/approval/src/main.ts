// Entry point: `node services/approval/src/main.ts` (runService: config → telemetry → start → signals).
import { runService } from "@warden/service";
import { loadConfig } from "./config.ts";

await runService({
  name: "approval",
  loadConfig: () => loadConfig(),
  // imported inside start, so OpenTelemetry instruments it (telemetry starts first)
  start: async (config) => (await import("./start-approval-service.ts")).startApprovalService(config),
});
