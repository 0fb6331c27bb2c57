// Entry point: `node services/approval/src/main.ts` (runService: config → telemetry → start → signals).
import { runService } from "@warden/service";
import { loadConfig } from "./config.ts";

await runService({
  name: "approval",
  loadConfig: () => loadConfig(),
  // imported inside start, so OpenTelemetry instruments it (telemetry starts first); the worker's
  // Temporal interceptors export the workflow's spans through this telemetry
  start: async (config, telemetry) => {
    const { startApprovalService } = await import("./start-approval-service.ts");
    const { resource, spanProcessor } = telemetry;
    return startApprovalService(config, {
      ...(resource !== undefined &&
        spanProcessor !== undefined && { telemetry: { resource, spanProcessor } }),
    });
  },
});
