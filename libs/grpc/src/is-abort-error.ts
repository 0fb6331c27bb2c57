/** True for the AbortError nice-grpc raises when a call is cancelled (same check as abort-controller-x). */
export function isAbortError(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { name?: unknown }).name === "AbortError";
}
