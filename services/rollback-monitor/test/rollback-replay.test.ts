// Determinism: the committed history of one rollback (verification timeout → escalation → overdue
// review) replays against today's workflow code. A failure means a change that needs versioning
// (patched()) or a re-recorded history (test/histories/record-history.ts).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { historyFromJSON } from "@temporalio/common/lib/proto-utils.js";
import { Worker } from "@temporalio/worker";
import { describe, expect, it } from "vitest";

const workflowsPath = fileURLToPath(new URL("../src/workflows/index.ts", import.meta.url));

describe("rollback workflow replay", () => {
  it("replays test/histories/verification-timeout.json without non-determinism", async () => {
    const json: unknown = JSON.parse(
      readFileSync(new URL("./histories/verification-timeout.json", import.meta.url), "utf8"),
    );
    const history = historyFromJSON(json);
    expect(history.events?.length).toBeGreaterThan(10);
    await expect(
      Worker.runReplayHistory({ workflowsPath }, history, "rollback-dep-history"),
    ).resolves.toBeUndefined();
  });
});
