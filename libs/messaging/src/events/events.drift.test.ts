// The zod schemas here must describe exactly the proto messages they mirror: same JSON field names,
// nothing more, nothing less. The proto descriptor set that `make proto` commits is the reference.
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { readDescriptorSet } from "@warden/contracts";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import * as approval from "./approval.ts";
import * as common from "./common.ts";
import * as compliance from "./compliance.ts";
import * as killswitch from "./killswitch.ts";
import * as policy from "./policy.ts";
import * as rollback from "./rollback.ts";

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readDescriptorSet()));

const pairs: [string, z.ZodObject][] = [
  ["warden.common.v1.ActionRequest", common.ActionRequestData],
  ["warden.common.v1.Actor", common.ActorData],
  ["warden.common.v1.Money", common.Money],
  ["warden.common.v1.OutboundMessage", common.OutboundMessage],
  ["warden.common.v1.AiContext", common.AiContext],
  ["warden.common.v1.InvalidEvent", common.InvalidEventData],
  ["warden.common.v1.AccessRefused", common.AccessRefusedData],
  ["warden.common.v1.ActionExecuted", common.ActionExecutedData],
  ["warden.approval.v1.ActionVerdict", approval.ActionVerdictData],
  ["warden.approval.v1.ConsumeRequest", approval.ConsumeRequestData],
  ["warden.approval.v1.ConsumeResponse", approval.ConsumeResponseData],
  ["warden.approval.v1.VerdictRequest", approval.VerdictRequestData],
  ["warden.approval.v1.VerdictResponse", approval.VerdictResponseData],
  ["warden.policy.v1.Decision", policy.DecisionData],
  ["warden.policy.v1.MatchedRule", policy.MatchedRule],
  ["warden.policy.v1.ApprovalRequirement", policy.ApprovalRequirement],
  ["warden.policy.v1.EscalationLevel", policy.EscalationLevel],
  ["warden.policy.v1.BundleActivated", policy.BundleActivatedData],
  ["warden.policy.v1.BundleRejected", policy.BundleRejectedData],
  ["warden.policy.v1.BundleError", policy.BundleError],
  ["warden.killswitch.v1.Scope", killswitch.StopScopeData],
  ["warden.killswitch.v1.Acknowledgement", killswitch.AcknowledgementData],
  ["warden.killswitch.v1.DeactivationApproval", killswitch.DeactivationApprovalData],
  ["warden.killswitch.v1.EmergencyStop", killswitch.EmergencyStopData],
  ["warden.killswitch.v1.Activated", killswitch.ActivatedData],
  ["warden.killswitch.v1.Deactivated", killswitch.DeactivatedData],
  ["warden.killswitch.v1.Acknowledged", killswitch.AcknowledgedData],
  ["warden.killswitch.v1.DeactivationApproved", killswitch.DeactivationApprovedData],
  ["warden.killswitch.v1.Refused", killswitch.RefusedData],
  ["warden.approval.v1.Approval", approval.ApprovalData],
  ["warden.approval.v1.Vote", approval.VoteData],
  ["warden.approval.v1.ApprovalRequested", approval.ApprovalRequestedData],
  ["warden.approval.v1.VoteCast", approval.VoteCastData],
  ["warden.approval.v1.ApprovalResolved", approval.ApprovalResolvedData],
  ["warden.approval.v1.Escalated", approval.EscalatedData],
  ["warden.approval.v1.ApprovalRefused", approval.ApprovalRefusedData],
  ["warden.rollback.v1.Signal", rollback.SignalData],
  ["warden.rollback.v1.DeploymentStarted", rollback.DeploymentStartedData],
  ["warden.rollback.v1.DeploymentCompleted", rollback.DeploymentCompletedData],
  ["warden.rollback.v1.RollbackTriggered", rollback.RollbackTriggeredData],
  ["warden.rollback.v1.RollbackRequested", rollback.RollbackRequestedData],
  ["warden.rollback.v1.RollbackCompleted", rollback.RollbackCompletedData],
  ["warden.rollback.v1.Escalated", rollback.RollbackEscalatedData],
  ["warden.rollback.v1.Incident", rollback.IncidentData],
  ["warden.rollback.v1.ReviewOverdue", rollback.ReviewOverdueData],
  ["warden.rollback.v1.RollbackRefused", rollback.RollbackRefusedData],
  ["warden.compliance.v1.ReportSummary", compliance.ReportSummaryData],
  ["warden.compliance.v1.ReportRecorded", compliance.ReportRecordedData],
];

const enums: [string, z.ZodEnum][] = [
  ["warden.common.v1.ActorType", common.ActorType],
  ["warden.common.v1.Environment", common.Environment],
  ["warden.common.v1.RiskLevel", common.RiskLevel],
  ["warden.common.v1.ChangeType", common.ChangeType],
  ["warden.common.v1.VersionChange", common.VersionChange],
  ["warden.common.v1.ExecutionOutcome", common.ExecutionOutcome],
  ["warden.approval.v1.ApprovalStatus", approval.ApprovalStatus],
  ["warden.approval.v1.Verdict", approval.Verdict],
  ["warden.policy.v1.Outcome", policy.Outcome],
  ["warden.policy.v1.Effect", policy.Effect],
  ["warden.policy.v1.AiAutonomy", policy.AiAutonomy],
  ["warden.killswitch.v1.ScopeKind", killswitch.ScopeKind],
  ["warden.approval.v1.VoteDecision", approval.VoteDecision],
  ["warden.rollback.v1.SignalKind", rollback.SignalKind],
  ["warden.rollback.v1.DeploymentPhase", rollback.DeploymentPhase],
  ["warden.rollback.v1.RollbackResult", rollback.RollbackResult],
];

it("the kill-switch state view reads fields that EmergencyStop has", () => {
  const fields = (registry.getMessage("warden.killswitch.v1.EmergencyStop")?.fields ?? []).map(
    (f) => f.jsonName,
  );
  for (const key of Object.keys(killswitch.EmergencyStopView.shape)) expect(fields).toContain(key);
});

describe("event schemas match the proto contracts", () => {
  it.each(pairs)("%s has the same JSON fields", (name, schema) => {
    const message = registry.getMessage(name);
    expect(message, `${name} in the descriptor set`).toBeDefined();
    const protoFields = (message?.fields ?? []).map((f) => f.jsonName).sort();
    expect(Object.keys(schema.shape).sort()).toEqual(protoFields);
  });

  it.each(enums)("%s has the same values (bar UNSPECIFIED)", (name, schema) => {
    const protoEnum = registry.getEnum(name);
    expect(protoEnum, `${name} in the descriptor set`).toBeDefined();
    const values = (protoEnum?.values ?? []).map((v) => v.name).filter((n) => !n.endsWith("_UNSPECIFIED"));
    expect([...schema.options].sort()).toEqual(values.sort());
  });
});
