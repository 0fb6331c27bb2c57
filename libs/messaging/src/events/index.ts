// The event types Warden publishes today, with their data schemas. Adding an event: its proto
// message in proto/warden/<domain>/v1, a schema here, a definition below, and an entry in
// events.drift.test.ts that ties the two together.
import { createCatalog, defineEvent } from "../envelope.ts";
import {
  ActionVerdictData,
  ApprovalRefusedData,
  ApprovalRequestedData,
  ApprovalResolvedData,
  ConsumeRequestData,
  ConsumeResponseData,
  VerdictRequestData,
  VerdictResponseData,
  EscalatedData,
  VoteCastData,
} from "./approval.ts";
import { AccessRefusedData, ActionExecutedData, ActionRequestData, InvalidEventData } from "./common.ts";
import {
  AcknowledgedData,
  AgentReEnabledData,
  ActivatedData,
  DeactivatedData,
  DeactivationApprovedData,
  RefusedData,
} from "./killswitch.ts";
import { BundleActivatedData, BundleRejectedData, DecisionData } from "./policy.ts";
import {
  DeploymentCompletedData,
  DeploymentStartedData,
  RollbackEscalatedData,
  IncidentData,
  ReviewOverdueData,
  RollbackCompletedData,
  RollbackRefusedData,
  RollbackRequestedData,
  RollbackTriggeredData,
  SignalData,
} from "./rollback.ts";
import { ReportRecordedData } from "./compliance.ts";

export * from "./common.ts";
export * from "./policy.ts";
export * from "./killswitch.ts";
export * from "./approval.ts";
export * from "./rollback.ts";
export * from "./compliance.ts";

export const events = {
  actionRequested: defineEvent("warden.action.requested", ActionRequestData, {
    requiresActionId: true,
    proto: "warden.common.v1.ActionRequest",
  }),
  actionExecuted: defineEvent("warden.action.executed", ActionExecutedData, {
    requiresActionId: true,
    proto: "warden.common.v1.ActionExecuted",
  }),
  actionVerdict: defineEvent("warden.action.verdict", ActionVerdictData, {
    requiresActionId: true,
    proto: "warden.approval.v1.ActionVerdict",
  }),
  decisionMade: defineEvent("warden.decision.made", DecisionData, {
    requiresActionId: true,
    proto: "warden.policy.v1.Decision",
  }),
  bundleActivated: defineEvent("warden.policy.bundle_activated", BundleActivatedData, {
    requiresActionId: false,
    proto: "warden.policy.v1.BundleActivated",
  }),
  bundleRejected: defineEvent("warden.policy.bundle_rejected", BundleRejectedData, {
    requiresActionId: false,
    proto: "warden.policy.v1.BundleRejected",
  }),
  accessRefused: defineEvent("warden.access.refused", AccessRefusedData, {
    requiresActionId: false,
    proto: "warden.common.v1.AccessRefused",
  }),
  invalidMessage: defineEvent("warden.invalid.message", InvalidEventData, {
    requiresActionId: false,
    proto: "warden.common.v1.InvalidEvent",
  }),
  killswitchActivated: defineEvent("warden.killswitch.activated", ActivatedData, {
    requiresActionId: false,
    proto: "warden.killswitch.v1.Activated",
  }),
  killswitchDeactivated: defineEvent("warden.killswitch.deactivated", DeactivatedData, {
    requiresActionId: false,
    proto: "warden.killswitch.v1.Deactivated",
  }),
  killswitchDeactivationApproved: defineEvent(
    "warden.killswitch.deactivation_approved",
    DeactivationApprovedData,
    { requiresActionId: false, proto: "warden.killswitch.v1.DeactivationApproved" },
  ),
  killswitchAcknowledged: defineEvent("warden.killswitch.acknowledged", AcknowledgedData, {
    requiresActionId: false,
    proto: "warden.killswitch.v1.Acknowledged",
  }),
  killswitchAgentReEnabled: defineEvent("warden.killswitch.reenabled", AgentReEnabledData, {
    requiresActionId: true,
    proto: "warden.killswitch.v1.AgentReEnabled",
  }),
  killswitchRefused: defineEvent("warden.killswitch.refused", RefusedData, {
    requiresActionId: false,
    proto: "warden.killswitch.v1.Refused",
  }),
  approvalRequested: defineEvent("warden.approval.requested", ApprovalRequestedData, {
    requiresActionId: true,
    proto: "warden.approval.v1.ApprovalRequested",
  }),
  approvalVoteCast: defineEvent("warden.approval.vote_cast", VoteCastData, {
    requiresActionId: true,
    proto: "warden.approval.v1.VoteCast",
  }),
  approvalEscalated: defineEvent("warden.approval.escalated", EscalatedData, {
    requiresActionId: true,
    proto: "warden.approval.v1.Escalated",
  }),
  approvalResolved: defineEvent("warden.approval.resolved", ApprovalResolvedData, {
    requiresActionId: true,
    proto: "warden.approval.v1.ApprovalResolved",
  }),
  approvalRefused: defineEvent("warden.approval.refused", ApprovalRefusedData, {
    requiresActionId: true,
    proto: "warden.approval.v1.ApprovalRefused",
  }),
  deploymentStarted: defineEvent("warden.deploy.started", DeploymentStartedData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.DeploymentStarted",
  }),
  deploymentCompleted: defineEvent("warden.deploy.completed", DeploymentCompletedData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.DeploymentCompleted",
  }),
  signalObserved: defineEvent("warden.signal.observed", SignalData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.Signal",
  }),
  rollbackTriggered: defineEvent("warden.rollback.triggered", RollbackTriggeredData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.RollbackTriggered",
  }),
  rollbackDryRun: defineEvent("warden.rollback.dry_run", RollbackTriggeredData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.RollbackTriggered",
  }),
  rollbackRequested: defineEvent("warden.rollback.requested", RollbackRequestedData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.RollbackRequested",
  }),
  rollbackCompleted: defineEvent("warden.rollback.completed", RollbackCompletedData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.RollbackCompleted",
  }),
  rollbackRefused: defineEvent("warden.rollback.refused", RollbackRefusedData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.RollbackRefused",
  }),
  rollbackEscalated: defineEvent("warden.escalation.rollback", RollbackEscalatedData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.Escalated",
  }),
  incidentOpened: defineEvent("warden.incident.opened", IncidentData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.Incident",
  }),
  complianceReportRecorded: defineEvent("warden.compliance.report_recorded", ReportRecordedData, {
    requiresActionId: false,
    proto: "warden.compliance.v1.ReportRecorded",
  }),
  incidentReviewOverdue: defineEvent("warden.incident.review_overdue", ReviewOverdueData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.ReviewOverdue",
  }),
} as const;

/**
 * Request-reply bodies that are not events (no envelope), read with the same proto3 JSON mapping
 * and limits through parseEventData / parseEventDataBytes.
 */
export const rpcBodies = {
  consumeRequest: defineEvent("warden.rpc.approval_consume_request", ConsumeRequestData, {
    requiresActionId: false,
    proto: "warden.approval.v1.ConsumeRequest",
  }),
  consumeResponse: defineEvent("warden.rpc.approval_consume_response", ConsumeResponseData, {
    requiresActionId: false,
    proto: "warden.approval.v1.ConsumeResponse",
  }),
  verdictRequest: defineEvent("warden.rpc.approval_verdict_request", VerdictRequestData, {
    requiresActionId: false,
    proto: "warden.approval.v1.VerdictRequest",
  }),
  verdictResponse: defineEvent("warden.rpc.approval_verdict_response", VerdictResponseData, {
    requiresActionId: false,
    proto: "warden.approval.v1.VerdictResponse",
  }),
} as const;

/** Every event type above, for consumers that accept them all. */
export const wardenCatalog = createCatalog(Object.values(events));
