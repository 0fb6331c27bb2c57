// Entry point: `node services/policy/src/main.ts` (runService: config → telemetry → start → signals).
import { runService } from "@warden/service";
import { loadConfig } from "./config.ts";

await runService({
  name: "policy",
  loadConfig: () => loadConfig(),
  start: async (config) => (await import("./start-policy-service.ts")).startPolicyService(config),
  onHangup: (running) => running.reload(),
});
