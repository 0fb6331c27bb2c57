// What a rollback workflow is started with, and what it reports: plain data shared by the monitor
// (app/), the workflow and its activities. No Date, no class: it crosses Temporal's JSON converter.
import type { EnvironmentName, RolloutStrategy } from "./analysis.ts";

export interface RequestedBy {
  type: "human" | "ai_agent" | "service";
  id: string;
  roles: string[];
}

export interface RollbackRequest {
  deploymentId: string;
  actionId?: string | undefined;
  agentId?: string | undefined;
  service: string;
  environment: EnvironmentName;
  fromVersion: string;
  toVersion?: string | undefined;
  rolloutStrategy: RolloutStrategy;
  /** The rollback strategy, e.g. "blue-green-switch-back", "canary-abort". */
  strategy: string;
  trigger: string;
  reason: string;
  requestedBy?: RequestedBy | undefined;
  /** ISO time the trigger fired (event time). */
  triggeredAt: string;
  verificationTimeoutMs: number;
  /** Consecutive passing health checks that verify the rollback. */
  healthChecksRequired: number;
  reviewDueMs: number;
  severity: string;
  escalationRoles: string[];
}

export type RollbackResultName = "succeeded" | "failed" | "verification_failed";

/** A health check forwarded to a running rollback workflow (verification). */
export interface HealthReport {
  /** The observation id: a report delivered twice counts once. */
  id: string;
  passed: boolean;
  detail?: string | undefined;
  observedAt: string;
}

export const rollbackWorkflowId = (deploymentId: string): string => `rollback-${deploymentId}`;
