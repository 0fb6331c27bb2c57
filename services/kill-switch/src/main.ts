// Entry point: `node services/kill-switch/src/main.ts` (runService: config → telemetry → start → signals).
import { runService } from "@warden/service";
import { loadConfig } from "./config.ts";

await runService({
  name: "kill-switch",
  loadConfig: () => loadConfig(),
  start: async (config) => (await import("./start-kill-switch-service.ts")).startKillSwitchService(config),
});
