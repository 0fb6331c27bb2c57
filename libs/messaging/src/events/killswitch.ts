// The emergency-stop state as stored in the kill-switch KV bucket under KILLSWITCH_STATE_KEY: the
// proto JSON of warden.killswitch.v1.EmergencyStop. Readers (policy, approval, agents) need only
// whether a stop is active, its epoch and its scopes; the kill-switch service owns the rest.
import { z } from "zod";
import { ActorData, Timestamp, UInt64, unset } from "./common.ts";

export const KILLSWITCH_STATE_KEY = "state";

export const ScopeKind = z.enum([
  "SCOPE_KIND_GLOBAL",
  "SCOPE_KIND_ENVIRONMENT",
  "SCOPE_KIND_AGENT",
  "SCOPE_KIND_SERVICE",
]);

export const StopScopeData = z.strictObject({
  kind: unset(ScopeKind, "SCOPE_KIND_UNSPECIFIED"),
  value: z.string().optional(),
});

/** The fields of EmergencyStop every reader relies on; other fields are ignored here. */
export const EmergencyStopView = z.object({
  epoch: UInt64,
  active: z.boolean(),
  scopes: z.array(StopScopeData).default([]),
});
export type EmergencyStopView = z.infer<typeof EmergencyStopView>;

// Kill-switch events (proto/warden/killswitch/v1/events.proto), published by the kill-switch
// service and, for acknowledgements, by every consumer that enforces the stop. Received data is read
// with the proto3 JSON mapping first, which omits zero values: those fields default (`unset`).
export const AcknowledgementData = z.strictObject({
  consumer: ActorData.optional(),
  instanceId: z.string().min(1).max(256),
  epoch: unset(UInt64, 0),
  acknowledgedAt: Timestamp.optional(),
});

export const DeactivationApprovalData = z.strictObject({
  approver: ActorData.optional(),
  approvedAt: Timestamp.optional(),
});

/** warden.killswitch.v1.EmergencyStop (the aggregate view). */
export const EmergencyStopData = z.strictObject({
  epoch: unset(UInt64, 0),
  active: unset(z.boolean(), false),
  scopes: z.array(StopScopeData).optional(),
  reason: z.string().optional(),
  activatedBy: ActorData.optional(),
  activatedAt: Timestamp.optional(),
  acknowledgements: z.array(AcknowledgementData).optional(),
  deactivationApprovals: z.array(DeactivationApprovalData).optional(),
  deactivatedAt: Timestamp.optional(),
  reviewRef: z.string().optional(),
  rootCause: z.string().optional(),
  prevention: z.string().optional(),
});

export const ActivatedData = z.strictObject({ state: EmergencyStopData });

export const DeactivatedData = z.strictObject({
  epoch: unset(UInt64, 0),
  approvals: z.array(DeactivationApprovalData).optional(),
  reviewRef: z.string().optional(),
  rootCause: z.string().optional(),
  prevention: z.string().optional(),
  reEnabledAgents: z.array(z.string()).optional(),
  deactivatedAt: Timestamp.optional(),
  scopes: z.array(StopScopeData).optional(),
  stillDisabledAgents: z.array(z.string()).optional(),
});

export const AgentReEnabledData = z.strictObject({
  agentId: z.string().min(1),
  actionId: z.string().min(1),
  epoch: unset(UInt64, 0),
  requestedBy: ActorData.optional(),
  reEnabledAt: Timestamp.optional(),
});
export type AgentReEnabledData = z.infer<typeof AgentReEnabledData>;

export const AcknowledgedData = z.strictObject({ acknowledgement: AcknowledgementData });
export type AcknowledgedData = z.infer<typeof AcknowledgedData>;

export const DeactivationApprovedData = z.strictObject({
  epoch: unset(UInt64, 0),
  scopes: z.array(StopScopeData).optional(),
  approvals: z.array(DeactivationApprovalData).optional(),
  missingRoles: z.array(z.string()).optional(),
  reviewRef: z.string().optional(),
});

export const RefusedData = z.strictObject({
  operation: z.string().min(1),
  actor: ActorData.optional(),
  reason: unset(z.string(), ""),
  refusedAt: Timestamp.optional(),
});
