// Records the committed histories the replay test replays, under the time-skipping server:
// - verification-timeout.json: one rollback (verification timeout → escalation → overdue review),
//   recorded before the "verification-counts-early-checks" patch (no marker: the old path);
// - early-checks.json: a rollback whose three passing health checks arrive while it is executing
//   (patched path: they count, the rollback succeeds), then the review is recorded.
// Re-run after a deliberate workflow change: `node services/rollback-monitor/test/histories/record-history.ts`
// (`--only early-checks` keeps the pre-patch history as it is).
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
import { healthSignal, recordReviewUpdate, rollbackStateQuery } from "../../src/workflows/contract.ts";
import { historyRequest } from "./history-request.ts";

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const requestedAt = Date.parse("2026-12-03T10:05:00Z");
const server = await startTimeSkipping();
try {
  let release!: () => void;
  const hold = new Promise<void>((resolve) => (release = resolve));
  const executor = createInMemoryExecutor({ hold });
  const worker = await Worker.create({
    connection: server.env.nativeConnection,
    taskQueue: "record",
    workflowsPath: fileURLToPath(new URL("../../src/workflows/index.ts", import.meta.url)),
    activities: createActivities({
      events: createInMemoryEventSink(),
      escalations: createInMemoryEscalations(),
      executor,
      notifier: createInMemoryNotifier(),
      clock: { now: () => requestedAt },
    }),
  });
  await worker.runUntil(async () => {
    const client = server.env.client;
    if (only === undefined || only === "verification-timeout") {
      release();
      const handle = await client.workflow.start("rollbackWorkflow", {
        taskQueue: "record",
        workflowId: "rollback-dep-history",
        args: [historyRequest],
      });
      await handle.result();
      const file = new URL("./verification-timeout.json", import.meta.url);
      writeFileSync(file, historyToJSON(await handle.fetchHistory()));
    }
    if (only === undefined || only === "early-checks") {
      const handle = await client.workflow.start("rollbackWorkflow", {
        taskQueue: "record",
        workflowId: "rollback-dep-early-checks",
        args: [{ ...historyRequest, deploymentId: "dep-early-checks" }],
      });
      const deadline = Date.now() + 60_000;
      while (executor.executed.length === 0) {
        if (Date.now() > deadline) throw new Error("the execute activity did not start");
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const id of ["h1", "h2", "h3"]) {
        await handle.signal(healthSignal, {
          id,
          passed: true,
          observedAt: new Date(requestedAt + 1_000).toISOString(),
        });
      }
      release();
      while ((await handle.query(rollbackStateQuery)).stage !== "awaiting_review") {
        if (Date.now() > deadline) throw new Error("the rollback did not reach awaiting_review");
        await new Promise((r) => setTimeout(r, 20));
      }
      await handle.executeUpdate(recordReviewUpdate, { args: [{ reviewRef: "PIR-1", reviewer: "olga" }] });
      const view: unknown = await handle.result();
      if ((view as { result?: string }).result !== "succeeded") {
        throw new Error(`expected a verified rollback, got ${JSON.stringify(view)}`);
      }
      writeFileSync(
        new URL("./early-checks.json", import.meta.url),
        historyToJSON(await handle.fetchHistory()),
      );
    }
  });
} finally {
  await server.stop();
}
