// Rollback-monitor events (proto/warden/rollback/v1/rollback.proto): signals and deployment events
// the monitor consumes, and what it publishes (triggered, requested, completed, escalated, incident,
// review overdue, refused). Read with the proto3 JSON mapping first, which omits zero values.
import { z } from "zod";
import { ActorData, Environment, Timestamp, unset } from "./common.ts";

const id = z.string().min(1).max(128);
const text = (max: number) => z.string().max(max);

export const SignalKind = z.enum([
  "SIGNAL_KIND_HEALTH",
  "SIGNAL_KIND_ERROR_RATE",
  "SIGNAL_KIND_LATENCY",
  "SIGNAL_KIND_SECURITY_SCAN",
  "SIGNAL_KIND_CONFIDENCE",
]);
export type SignalKind = z.infer<typeof SignalKind>;

export const DeploymentPhase = z.enum([
  "DEPLOYMENT_PHASE_MONITORING",
  "DEPLOYMENT_PHASE_STABLE",
  "DEPLOYMENT_PHASE_ROLLING_BACK",
  "DEPLOYMENT_PHASE_ROLLED_BACK",
  "DEPLOYMENT_PHASE_ROLLBACK_FAILED",
  "DEPLOYMENT_PHASE_ESCALATED",
]);

export const RollbackResult = z.enum([
  "ROLLBACK_RESULT_SUCCEEDED",
  "ROLLBACK_RESULT_FAILED",
  "ROLLBACK_RESULT_VERIFICATION_FAILED",
]);

const finite = z.number().refine(Number.isFinite, "must be a finite number");

export const SignalData = z.strictObject({
  deploymentId: unset(id, ""),
  kind: unset(SignalKind, "SIGNAL_KIND_UNSPECIFIED"),
  value: finite.optional(),
  passed: z.boolean().optional(),
  detail: text(4_096).optional(),
  source: text(256).optional(),
  /** Required: windows run on event time. */
  observedAt: unset(Timestamp, ""),
  baseline: finite.optional(),
  severity: z.enum(["critical", "high", "medium", "low"]).optional(),
});
export type SignalData = z.infer<typeof SignalData>;

export const DeploymentStartedData = z.strictObject({
  deploymentId: unset(id, ""),
  actionId: id.optional(),
  agentId: id.optional(),
  service: unset(id, ""),
  environment: unset(Environment, "ENVIRONMENT_UNSPECIFIED"),
  version: unset(text(128).min(1), ""),
  previousVersion: text(128).optional(),
  startedAt: unset(Timestamp, ""),
  strategy: z.enum(["blue-green", "canary", "rolling"]).optional(),
  baselineRef: text(256).optional(),
});
export type DeploymentStartedData = z.infer<typeof DeploymentStartedData>;

export const DeploymentCompletedData = z.strictObject({
  deploymentId: unset(id, ""),
  service: text(128).optional(),
  succeeded: z.boolean().optional(),
  detail: text(4_096).optional(),
  completedAt: unset(Timestamp, ""),
});
export type DeploymentCompletedData = z.infer<typeof DeploymentCompletedData>;

export const RollbackTriggeredData = z.strictObject({
  deploymentId: id,
  actionId: id.optional(),
  service: text(128).optional(),
  environment: Environment.optional(),
  trigger: z.string().min(1).max(128),
  signalKind: SignalKind.optional(),
  observed: z.number().optional(),
  baseline: z.number().optional(),
  threshold: z.number().optional(),
  reason: text(4_096).optional(),
  strategy: text(128).optional(),
  fromVersion: text(128).optional(),
  toVersion: text(128).optional(),
  workflowId: text(256).optional(),
  requestedBy: ActorData.optional(),
  triggeredAt: Timestamp.optional(),
});
export type RollbackTriggeredData = z.infer<typeof RollbackTriggeredData>;

export const RollbackRequestedData = z.strictObject({
  deploymentId: id,
  actionId: id.optional(),
  service: text(128).optional(),
  environment: Environment.optional(),
  strategy: z.string().min(1).max(128),
  fromVersion: text(128).optional(),
  toVersion: text(128).optional(),
  workflowId: text(256).optional(),
  trigger: text(128).optional(),
  requestedAt: Timestamp.optional(),
});
export type RollbackRequestedData = z.infer<typeof RollbackRequestedData>;

export const RollbackCompletedData = z.strictObject({
  deploymentId: id,
  actionId: id.optional(),
  workflowId: text(256).optional(),
  result: RollbackResult,
  detail: text(4_096).optional(),
  completedAt: Timestamp.optional(),
});
export type RollbackCompletedData = z.infer<typeof RollbackCompletedData>;

export const RollbackEscalatedData = z.strictObject({
  deploymentId: id,
  actionId: id.optional(),
  service: text(128).optional(),
  trigger: z.string().min(1).max(128),
  reason: text(4_096).optional(),
  roles: z.array(z.string().min(1).max(128)).max(64).optional(),
  escalationActionId: id.optional(),
  escalatedAt: Timestamp.optional(),
});
export type RollbackEscalatedData = z.infer<typeof RollbackEscalatedData>;

export const IncidentData = z.strictObject({
  incidentId: id,
  deploymentId: id,
  actionId: id.optional(),
  service: text(128).optional(),
  environment: Environment.optional(),
  severity: text(64).optional(),
  summary: text(4_096).optional(),
  rollbackResult: RollbackResult.optional(),
  openedAt: Timestamp.optional(),
  reviewDueAt: Timestamp.optional(),
});
export type IncidentData = z.infer<typeof IncidentData>;

export const ReviewOverdueData = z.strictObject({
  incidentId: id,
  deploymentId: id,
  service: text(128).optional(),
  reviewDueAt: Timestamp.optional(),
});
export type ReviewOverdueData = z.infer<typeof ReviewOverdueData>;

export const RollbackRefusedData = z.strictObject({
  deploymentId: unset(text(128), ""),
  operation: z.string().min(1).max(128),
  actor: ActorData.optional(),
  reason: unset(z.string(), ""),
  refusedAt: Timestamp.optional(),
});
export type RollbackRefusedData = z.infer<typeof RollbackRefusedData>;
