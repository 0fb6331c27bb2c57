// @warden/approval: human approval of risky actions, one Temporal workflow per action (DESIGN.md §5).
export * from "./workflows/contract.ts";
export type * from "./activities/activities.ts";
export { VOTE_REFUSAL_CODES, type VoteRefusal, type VoteRefusalCode } from "./domain/refusals.ts";
export { definitionFromRequirement, type ApprovalRequirementLike } from "./domain/definition.ts";
export { approvalWorkflowsPath } from "./workflows-path.ts";
export { approvalInputFromDecision, type ApprovalPolicy } from "./wire/decision-input.ts";
