// Determinism: committed histories replay against today's workflow code. A failure means a change
// that needs versioning (patched()) or a re-recorded history (test/histories/record-history.ts).
// - verification-timeout.json predates the "verification-counts-early-checks" patch (no marker):
//   the old verification path must still replay;
// - early-checks.json has the marker: checks that arrived while the rollback executed counted.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { historyFromJSON } from "@temporalio/common/lib/proto-utils.js";
import { Worker } from "@temporalio/worker";
import { describe, expect, it } from "vitest";

const workflowsPath = fileURLToPath(new URL("../src/workflows/index.ts", import.meta.url));

function history(name: string) {
  const json: unknown = JSON.parse(readFileSync(new URL(`./histories/${name}`, import.meta.url), "utf8"));
  return historyFromJSON(json);
}

/** Whether the history holds the patch's marker (the SDK's `core_patch` marker, its id in the details). */
const hasPatchMarker = (h: ReturnType<typeof history>): boolean =>
  (h.events ?? []).some((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== "core_patch") return false;
    return Object.values(marker.details ?? {}).some((p) =>
      (p.payloads ?? []).some((payload) =>
        Buffer.from(payload.data ?? new Uint8Array())
          .toString("utf8")
          .includes("verification-counts-early-checks"),
      ),
    );
  });

describe("rollback workflow replay", () => {
  it("replays test/histories/verification-timeout.json (pre-patch) without non-determinism", async () => {
    const h = history("verification-timeout.json");
    expect(h.events?.length).toBeGreaterThan(10);
    expect(hasPatchMarker(h)).toBe(false);
    await expect(
      Worker.runReplayHistory({ workflowsPath }, h, "rollback-dep-history"),
    ).resolves.toBeUndefined();
  }, 120_000);

  it("replays test/histories/early-checks.json (patched: early checks counted)", async () => {
    const h = history("early-checks.json");
    expect(hasPatchMarker(h)).toBe(true);
    // The three checks were signalled while `execute` ran (temporal.api.enums.v1.EventType:
    // ACTIVITY_TASK_SCHEDULED 10, ACTIVITY_TASK_COMPLETED 12, WORKFLOW_EXECUTION_SIGNALED 26).
    const [SCHEDULED, COMPLETED, SIGNALED] = [10, 12, 26];
    const events = h.events ?? [];
    const scheduled = events.findIndex(
      (e) =>
        Number(e.eventType) === SCHEDULED &&
        e.activityTaskScheduledEventAttributes?.activityType?.name === "execute",
    );
    const completed = events.findIndex((e, i) => i > scheduled && Number(e.eventType) === COMPLETED);
    expect(scheduled).toBeGreaterThan(0);
    expect(events.slice(scheduled, completed).filter((e) => Number(e.eventType) === SIGNALED)).toHaveLength(
      3,
    );
    await expect(
      Worker.runReplayHistory({ workflowsPath }, h, "rollback-dep-early-checks"),
    ).resolves.toBeUndefined();
  }, 120_000);
});
