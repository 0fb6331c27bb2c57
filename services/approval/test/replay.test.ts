// Determinism guard: the committed histories (test/histories, recorded by record-histories.ts) must
// replay against the current workflow code; a deliberately non-deterministic variant must not.
import { DeterminismViolationError } from "@temporalio/workflow";
import { Worker } from "@temporalio/worker";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { approvalWorkflowsPath } from "../src/workflows-path.ts";

const historiesDir = new URL("./histories/", import.meta.url);
const files = readdirSync(historiesDir)
  .filter((f) => f.endsWith(".json"))
  .sort();
const history = (file: string): unknown => JSON.parse(readFileSync(new URL(file, historiesDir), "utf8"));
const notifyFirstPath = fileURLToPath(new URL("./fixtures/notify-first-workflows.ts", import.meta.url));

describe("replay of the committed approval histories", () => {
  it("has the recorded scenarios", () => {
    expect(files).toEqual([
      "break-glass-expired.json",
      "delegated-changes-requested.json",
      "escalate-vote-approved-expired.json",
      "escalated-blocked.json",
      "frozen-released.json",
      "quorum-consumed.json",
    ]);
  });

  it("replays every history against the current workflow", async () => {
    const histories = files.map((file) => ({ workflowId: file, history: history(file) }));
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: approvalWorkflowsPath }, histories))
      results.push({ id: r.workflowId, error: r.error });
    expect(results).toEqual(files.map((id) => ({ id, error: undefined })));
  });

  it("fails a workflow that reorders an activity call (DeterminismViolation)", async () => {
    await expect(
      Worker.runReplayHistory({ workflowsPath: notifyFirstPath }, history("quorum-consumed.json"), "quorum"),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
