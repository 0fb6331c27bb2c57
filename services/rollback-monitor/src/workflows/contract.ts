// The rollback workflow's public contract: type name, id, input (domain/rollback-request.ts), the
// health signal that feeds verification, the review update and the state query. Plain data only.
import { defineQuery, defineSignal, defineUpdate } from "@temporalio/workflow";
import type { HealthReport, RollbackResultName } from "../domain/rollback-request.ts";

export { rollbackWorkflowId } from "../domain/rollback-request.ts";
export const ROLLBACK_WORKFLOW_TYPE = "rollbackWorkflow";

export type RollbackStage = "executing" | "verifying" | "reporting" | "awaiting_review" | "done";

export interface RollbackView {
  deploymentId: string;
  stage: RollbackStage;
  result?: RollbackResultName | undefined;
  detail?: string | undefined;
  passingChecks: number;
  incidentId?: string | undefined;
  reviewDueAt?: string | undefined;
  reviewRef?: string | undefined;
  reviewOverdue: boolean;
}

export interface ReviewInput {
  reviewRef: string;
  reviewer: string;
}

export const healthSignal = defineSignal<[HealthReport]>("health");
export const recordReviewUpdate = defineUpdate<RollbackView, [ReviewInput]>("recordReview");
export const rollbackStateQuery = defineQuery<RollbackView>("state");
