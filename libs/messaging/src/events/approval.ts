// Data schemas for the warden.approval.v1 messages an agent reads or sends (proto JSON mapping; see
// common.ts): the verdict it waits for after OUTCOME_APPROVAL_REQUIRED, and the consume RPC it calls
// before it acts. proto/warden/approval/v1 is the contract (events.drift.test.ts).
import { z } from "zod";
import { Timestamp, UInt64, unset } from "./common.ts";

export const ApprovalStatus = z.enum([
  "APPROVAL_STATUS_PENDING",
  "APPROVAL_STATUS_FROZEN",
  "APPROVAL_STATUS_APPROVED",
  "APPROVAL_STATUS_REJECTED",
  "APPROVAL_STATUS_CHANGES_REQUESTED",
  "APPROVAL_STATUS_BLOCKED",
  "APPROVAL_STATUS_EXPIRED",
]);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const Verdict = z.enum(["VERDICT_PROCEED", "VERDICT_ABORT"]);

/** warden.approval.v1.ActionVerdict, published as warden.action.verdict.<outcome>.<agent>. */
export const ActionVerdictData = z.strictObject({
  actionId: unset(z.string().min(1).max(128), ""),
  agentId: unset(z.string().min(1).max(128), ""),
  verdict: unset(Verdict, "VERDICT_UNSPECIFIED"),
  status: unset(ApprovalStatus, "APPROVAL_STATUS_UNSPECIFIED"),
  reason: z.string().max(4096).optional(),
  requestDigest: z.string().max(256).optional(),
  bundleDigest: z.string().max(256).optional(),
  killswitchEpoch: UInt64.optional(),
  decidedAt: Timestamp.optional(),
});
export type ActionVerdictData = z.infer<typeof ActionVerdictData>;

/** warden.approval.v1.ConsumeRequest, the body of wardenrpc.approval.consume.<agent>. */
export const ConsumeRequestData = z.strictObject({
  actionId: unset(z.string().min(1).max(128), ""),
  requestDigest: unset(z.string().min(1).max(256), ""),
});
export type ConsumeRequestData = z.infer<typeof ConsumeRequestData>;

export const CONSUME_REFUSALS = [
  "not_found",
  "not_approved",
  "already_consumed",
  "digest_mismatch",
  "bundle_changed",
  "epoch_changed",
  "frozen",
  "expired",
  "wrong_agent",
] as const;

/**
 * warden.approval.v1.ConsumeResponse. `approval` (the whole Approval) is checked by the proto3 JSON
 * mapping only; an agent reads `consumed` and `refusal`.
 */
export const ConsumeResponseData = z.strictObject({
  consumed: z.boolean().optional(),
  refusal: z.string().max(128).optional(),
  message: z.string().max(4096).optional(),
  approval: z.record(z.string(), z.unknown()).optional(),
});
export type ConsumeResponseData = z.infer<typeof ConsumeResponseData>;
