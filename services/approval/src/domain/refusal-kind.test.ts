import { expect, it } from "vitest";
import { refusalKind } from "./refusal-kind.ts";

it.each([
  ["self_approval", "permission_denied"],
  ["not_eligible", "permission_denied"],
  ["ai_cannot_approve", "permission_denied"],
  ["reason_required", "invalid_argument"],
  ["resolved", "failed_precondition"],
  ["frozen", "failed_precondition"],
  ["already_voted", "failed_precondition"],
  ["digest_mismatch", "failed_precondition"],
])("%s → %s", (code, kind) => {
  expect(refusalKind(code)).toBe(kind);
});
