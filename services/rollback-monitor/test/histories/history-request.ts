import type { RollbackRequest } from "../../src/domain/rollback-request.ts";

export const historyRequest: RollbackRequest = {
  deploymentId: "dep-history",
  actionId: "act-history",
  service: "checkout",
  environment: "production",
  fromVersion: "v2.0.0",
  toVersion: "v1.9.0",
  rolloutStrategy: "canary",
  strategy: "canary-abort",
  trigger: "latency-p99-increase",
  reason: "p99 up 80 %",
  triggeredAt: "2026-12-03T10:05:00.000Z",
  verificationTimeoutMs: 300_000,
  healthChecksRequired: 3,
  reviewDueMs: 172_800_000,
  severity: "sev2",
  escalationRoles: ["on-call-engineer"],
};
