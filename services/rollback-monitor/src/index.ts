// @warden/rollback-monitor: regressions from streamed signals → rollback workflows; the uncertain → humans.
export {
  ROLLBACK_WORKFLOW_TYPE,
  rollbackWorkflowId,
  healthSignal,
  recordReviewUpdate,
  rollbackStateQuery,
} from "./workflows/contract.ts";
export type { RollbackView, ReviewInput } from "./workflows/contract.ts";
export type { RollbackRequest, HealthReport } from "./domain/rollback-request.ts";
export { parseRollbackPolicy } from "./domain/rollback-policy.ts";
export type { RollbackPolicy } from "./domain/rollback-policy.ts";
export { loadConfig } from "./config.ts";
