// The approval workflow's public contract: its type name, id, input, the updates / queries / signal
// it handles and the view it returns. Shared by the workflow (src/workflows), the starter and the
// gRPC / NATS transports (through a Temporal client). Plain data only (it crosses Temporal's JSON
// payload converter): no classes, no Date (ISO strings), no bigint (epochs as numbers).
import { defineQuery, defineSignal, defineUpdate } from "@temporalio/workflow";

export const APPROVAL_WORKFLOW_TYPE = "approvalWorkflow";
export const approvalWorkflowId = (actionId: string): string => `approval-${actionId}`;

/** Search attributes on every approval workflow (registered by dev-env and the test harness). */
export const APPROVAL_SEARCH_ATTRIBUTES = {
  status: "WardenStatus", // Keyword: pending | frozen | approved | rejected | changes_requested | blocked | expired
  risk: "WardenRisk", // Keyword: low | medium | high | critical
  agent: "WardenAgent", // Keyword
  environment: "WardenEnvironment", // Keyword
  escalationLevel: "WardenEscalationLevel", // Int
} as const;

export type {
  ActorTypeName,
  ApprovalActor,
  ApprovalDefinition,
  ApprovalInput,
  ApprovalStatusName,
  ApprovalView,
  ConsumeInput,
  ConsumeRefusal,
  ConsumeResult,
  EscalationStep,
  StopSignal,
  VoteDecisionName,
  VoteInput,
  VoteView,
} from "../domain/approval-types.ts";
import type {
  ApprovalInput,
  ApprovalView,
  ConsumeInput,
  ConsumeResult,
  StopSignal,
  VoteInput,
} from "../domain/approval-types.ts";

/** A vote; the validator refuses with an ApplicationFailure whose type names the refusal. */
export const voteUpdate = defineUpdate<ApprovalView, [VoteInput]>("vote");
/** Single use of an approval by its agent. */
export const consumeUpdate = defineUpdate<ConsumeResult, [ConsumeInput]>("consume");
export const stateQuery = defineQuery<ApprovalView>("state");
/** The input as started (decision with request, requirement and matched rules), for Get. */
export const inputQuery = defineQuery<ApprovalInput>("input");
export const stopSignal = defineSignal<[StopSignal]>("stop");
