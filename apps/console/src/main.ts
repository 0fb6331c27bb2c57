// Entry point: `node apps/console/src/main.ts` (runService: config → telemetry → start → signals).
import { runService } from "@warden/service";
import { loadConfig } from "./config.ts";

await runService({
  name: "console",
  loadConfig: () => loadConfig(),
  start: async (config) => (await import("./start-console.ts")).startConsole(config),
});
