// The event types Warden publishes today, with their data schemas. Adding an event: its proto
// message in proto/warden/<domain>/v1, a schema here, a definition below, and an entry in
// events.drift.test.ts that ties the two together.
import { createCatalog, defineEvent } from "../envelope.ts";
import { ActionRequestData, InvalidEventData } from "./common.ts";
import {
  AcknowledgedData,
  ActivatedData,
  DeactivatedData,
  DeactivationApprovedData,
  RefusedData,
} from "./killswitch.ts";
import { BundleActivatedData, BundleRejectedData, DecisionData } from "./policy.ts";
import {
  DeploymentCompletedData,
  DeploymentStartedData,
  EscalatedData,
  IncidentData,
  ReviewOverdueData,
  RollbackCompletedData,
  RollbackRefusedData,
  RollbackRequestedData,
  RollbackTriggeredData,
  SignalData,
} from "./rollback.ts";

export * from "./common.ts";
export * from "./policy.ts";
export * from "./killswitch.ts";
export * from "./rollback.ts";

export const events = {
  actionRequested: defineEvent("warden.action.requested", ActionRequestData, {
    requiresActionId: true,
    proto: "warden.common.v1.ActionRequest",
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
  killswitchRefused: defineEvent("warden.killswitch.refused", RefusedData, {
    requiresActionId: false,
    proto: "warden.killswitch.v1.Refused",
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
  rollbackEscalated: defineEvent("warden.escalation.rollback", EscalatedData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.Escalated",
  }),
  incidentOpened: defineEvent("warden.incident.opened", IncidentData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.Incident",
  }),
  incidentReviewOverdue: defineEvent("warden.incident.review_overdue", ReviewOverdueData, {
    requiresActionId: false,
    proto: "warden.rollback.v1.ReviewOverdue",
  }),
} as const;

/** Every event type above, for consumers that accept them all. */
export const wardenCatalog = createCatalog(Object.values(events));
