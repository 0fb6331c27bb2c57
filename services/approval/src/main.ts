// Entry point: `node services/approval/src/main.ts` (runService: config → telemetry → start → signals).
import { runService } from "@warden/service";
import { loadConfig } from "./config.ts";

await runService({
  name: "approval",
  loadConfig: () => loadConfig(),
  // Imported inside start, so OpenTelemetry instruments it (telemetry starts first). The worker's
  // Temporal OpenTelemetry interceptors (`startApprovalService({ telemetry })`) stay off: with them,
  // a workflow that answered queries and update validators fails replay with a nondeterminism error
  // (test/e2e/agent-reenable.test.ts: "Update machine does not handle this event: TimerCanceled";
  // upstream temporalio/sdk-typescript#2023). See README "Tracing".
  start: async (config) => (await import("./start-approval-service.ts")).startApprovalService(config),
});
