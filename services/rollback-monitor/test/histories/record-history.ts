// Records test/histories/verification-timeout.json: one rollback workflow (verification timeout →
// escalation → overdue review) under the time-skipping server. Re-run after a deliberate workflow
// change: `node services/rollback-monitor/test/histories/record-history.ts`.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { historyToJSON } from "@temporalio/common/lib/proto-utils.js";
import { Worker } from "@temporalio/worker";
import { startTimeSkipping } from "@warden/testing";
import { createActivities } from "../../src/activities/create-activities.ts";
import {
  createInMemoryEscalations,
  createInMemoryEventSink,
  createInMemoryExecutor,
  createInMemoryNotifier,
} from "../../src/adapters/fakes/in-memory.ts";
import { historyRequest } from "./history-request.ts";

const server = await startTimeSkipping();
try {
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    taskQueue: "record",
    workflowsPath: fileURLToPath(new URL("../../src/workflows/index.ts", import.meta.url)),
    activities: createActivities({
      events: createInMemoryEventSink(),
      escalations: createInMemoryEscalations(),
      executor: createInMemoryExecutor(),
      notifier: createInMemoryNotifier(),
      clock: { now: () => Date.parse("2026-12-03T10:05:00Z") },
    }),
  });
  const history = await worker.runUntil(async () => {
    const handle = await server.env.client.workflow.start("rollbackWorkflow", {
      taskQueue: "record",
      workflowId: "rollback-dep-history",
      args: [historyRequest],
    });
    await handle.result();
    return handle.fetchHistory();
  });
  writeFileSync(new URL("./verification-timeout.json", import.meta.url), historyToJSON(history));
} finally {
  await server.stop();
}
