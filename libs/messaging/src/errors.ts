import type { InvalidReason } from "./subjects.ts";

/** One problem with an incoming or outgoing message, naming the field (dotted path) and the reason. */
export type FieldIssue = { readonly field: string; readonly reason: string };

/** A message that can never become valid: terminate it, report it, never redeliver it. */
export class InvalidMessageError extends Error {
  override readonly name = "InvalidMessageError";
  readonly reason: InvalidReason;
  readonly issues: readonly FieldIssue[];
  constructor(reason: InvalidReason, issues: readonly FieldIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.reason}`).join("; "));
    this.reason = reason;
    this.issues = issues;
  }
}

/** A failure that may pass (a store down, a timeout): the message is redelivered after a delay. */
export class TransientError extends Error {
  override readonly name = "TransientError";
  readonly retryAfterMs: number;
  /**
   * Level of the consumer's line about each redelivery: `warn` (default), or `debug` for a wait the
   * handler expects and reports itself (it would otherwise log once per queued message).
   */
  readonly logLevel: "warn" | "debug";
  constructor(
    message: string,
    options?: { retryAfterMs?: number; cause?: unknown; logLevel?: "warn" | "debug" },
  ) {
    super(message, { cause: options?.cause });
    this.retryAfterMs = options?.retryAfterMs ?? 1_000;
    this.logLevel = options?.logLevel ?? "warn";
  }
}
