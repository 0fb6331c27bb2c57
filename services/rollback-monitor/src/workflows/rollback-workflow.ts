// One rollback per deployment (workflowId rollback-<deploymentId>): notify, execute the strategy
// through the executor, verify with forwarded health checks within the timeout, report, escalate a
// failed or unverified rollback to humans, open the incident and wait for its post-incident review
// (a timer that notifies when the review is overdue). Orchestration only; I/O is in activities.
import {
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from "@temporalio/workflow";
import type { createActivities } from "../activities/create-activities.ts";
import type { HealthReport, RollbackRequest, RollbackResultName } from "../domain/rollback-request.ts";
import { healthSignal, recordReviewUpdate, rollbackStateQuery } from "./contract.ts";
import type { ReviewInput, RollbackView } from "./contract.ts";

type Activities = ReturnType<typeof createActivities>;

const acts = proxyActivities<Activities>({
  startToCloseTimeout: "30s",
  retry: { initialInterval: "1s", maximumInterval: "10s", maximumAttempts: 10 },
});
// Executing a rollback is retried a little, then reported as failed: humans take over.
const execution = proxyActivities<Activities>({
  startToCloseTimeout: "1m",
  retry: { initialInterval: "2s", maximumAttempts: 3, nonRetryableErrorTypes: ["RollbackRefused"] },
});

/**
 * Consecutive passing checks by event time among those observed at or after `requestedAt` (a check
 * whose time does not parse does not count).
 */
export function consecutivePassing(reports: readonly HealthReport[], requestedAt: number): number {
  const timed = reports
    .map((report, i) => ({ report, at: Date.parse(report.observedAt), i }))
    .filter((r) => Number.isFinite(r.at) && r.at >= requestedAt)
    .sort((a, b) => a.at - b.at || a.i - b.i);
  let passing = 0;
  for (const { report } of timed) passing = report.passed ? passing + 1 : 0;
  return passing;
}

export async function rollbackWorkflow(request: RollbackRequest): Promise<RollbackView> {
  const { workflowId } = workflowInfo();
  // Before this patch, checks that arrived while the rollback was executing (after
  // warden.rollback.requested, before the wait) were dropped; rollbacks started since keep them and
  // count every check observed at or after requestedAt. Histories without the marker keep the old path.
  const countsEarlyChecks = patched("verification-counts-early-checks");
  const reports: HealthReport[] = [];
  let requestedAt: number | undefined;
  const view: RollbackView = {
    deploymentId: request.deploymentId,
    stage: "executing",
    passingChecks: 0,
    reviewOverdue: false,
  };
  const seen = new Set<string>();
  setHandler(healthSignal, (report) => {
    if (countsEarlyChecks) {
      if (seen.has(report.id) || (view.stage !== "executing" && view.stage !== "verifying")) return;
      seen.add(report.id);
      reports.push(report);
      if (requestedAt !== undefined) view.passingChecks = consecutivePassing(reports, requestedAt);
      return;
    }
    if (seen.has(report.id) || view.stage !== "verifying") return;
    seen.add(report.id);
    view.passingChecks = report.passed ? view.passingChecks + 1 : 0;
  });
  setHandler(rollbackStateQuery, () => view);
  setHandler(
    recordReviewUpdate,
    (input) => {
      view.reviewRef = input.reviewRef;
      return view;
    },
    {
      validator: (input: ReviewInput) => {
        const ref: unknown = input.reviewRef;
        if (typeof ref !== "string" || ref.trim() === "") {
          throw ApplicationFailure.nonRetryable("reviewRef is required", "InvalidReview");
        }
        if (view.incidentId === undefined) {
          throw ApplicationFailure.nonRetryable("no incident is open yet", "InvalidReview");
        }
      },
    },
  );

  await acts.notify(
    "started",
    request,
    `rolling back ${request.service} ${request.fromVersion} → ${request.toVersion ?? "previous"} (${request.strategy}): ${request.reason}`,
  );

  let result: RollbackResultName;
  try {
    // Typed loosely: an activity worker older than the patch returns nothing.
    const executed: { requestedAt?: unknown } | undefined = await execution.execute(request, workflowId);
    if (countsEarlyChecks) {
      // Without a parsable requestedAt, only checks observed after the execution finished count
      // (workflow time, deterministic): never a check that may predate the rollback.
      const at = typeof executed?.requestedAt === "string" ? Date.parse(executed.requestedAt) : NaN;
      requestedAt = Number.isFinite(at) ? at : Date.now();
      view.passingChecks = consecutivePassing(reports, requestedAt);
    }
    view.stage = "verifying";
    const verified = await condition(
      () => view.passingChecks >= request.healthChecksRequired,
      request.verificationTimeoutMs,
    );
    result = verified ? "succeeded" : "verification_failed";
    view.detail = verified
      ? `${view.passingChecks} consecutive health checks passed`
      : `verification did not pass within ${request.verificationTimeoutMs / 1_000}s (${view.passingChecks}/${request.healthChecksRequired} consecutive passing health checks)`;
  } catch (err) {
    result = "failed";
    // An ActivityFailure: its cause is the activity's own error.
    const cause = (err as { cause?: Error }).cause ?? (err as Error);
    view.detail = `rollback failed: ${cause.message}`;
  }
  view.result = result;
  view.stage = "reporting";

  await acts.publishCompleted(request, workflowId, result, view.detail);
  await acts.notify(result === "succeeded" ? "succeeded" : "failed", request, view.detail);
  if (result !== "succeeded") await acts.escalateRollback(request, workflowId, result, view.detail);

  const opened = await acts.openIncident(request, workflowId, result, view.detail);
  view.incidentId = opened.incidentId;
  view.reviewDueAt = opened.reviewDueAt;
  view.stage = "awaiting_review";
  const reviewed = await condition(() => view.reviewRef !== undefined, request.reviewDueMs);
  if (!reviewed) {
    view.reviewOverdue = true;
    await acts.reviewOverdue(request, opened.incidentId, opened.reviewDueAt);
  }
  view.stage = "done";
  return view;
}
