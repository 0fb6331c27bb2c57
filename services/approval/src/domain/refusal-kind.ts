// How a refused vote is answered: PERMISSION_DENIED when the voter may never cast it (who they are),
// FAILED_PRECONDITION when the approval's state forbids it now (resolved, frozen, a digest moved on).
// The codes are the ApplicationFailure types of the workflow's vote validator.

const PERMISSION_CODES = new Set([
  "self_approval",
  "requester",
  "launcher",
  "not_eligible",
  "ineligible_role",
  "no_eligible_role",
  "ai_cannot_approve",
  "ai_not_allowed",
  "ai_agent",
  "not_a_person",
  "delegate_is_requester",
  "break_glass_not_allowed",
  "not_break_glass",
  "permission_denied",
]);

export type RefusalKind = "permission_denied" | "failed_precondition" | "invalid_argument";

const INVALID_CODES = new Set(["reason_required", "invalid_vote", "invalid_delegate", "invalid_argument"]);

export function refusalKind(code: string): RefusalKind {
  const c = code.toLowerCase();
  if (PERMISSION_CODES.has(c) || c.startsWith("self_") || c.includes("permission"))
    return "permission_denied";
  if (INVALID_CODES.has(c) || c.endsWith("_required")) return "invalid_argument";
  return "failed_precondition";
}
