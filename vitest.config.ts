import { defineConfig } from "vitest/config";

// Test tiers (STYLE.md item 10):
//   unit         — beside the code (src/**/*.test.ts), fakes only, no network
//   integration  — apps/*/test, libs/*/test and services/*/test, against real NATS / Temporal / Mongo-wire servers
//   e2e          — root test/e2e and test/fault, several services in their own processes
// The integration and e2e tiers share one set of servers per run (libs/testing global setup):
// reused when NATS_URL / TEMPORAL_ADDRESS / MONGO_URL name running ones, else spawned and stopped.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "apps/*/src/**/*.test.ts",
            "libs/*/src/**/*.test.ts",
            "services/*/src/**/*.test.ts",
            "test/unit/**/*.test.ts",
          ],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["apps/*/test/**/*.test.ts", "libs/*/test/**/*.test.ts", "services/*/test/**/*.test.ts"],
          globalSetup: ["libs/testing/src/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/fault/**/*.test.ts"],
          globalSetup: ["libs/testing/src/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
