import type { InvalidReason } from "./subjects.ts";

/** One problem with an incoming or outgoing message, naming the field (dotted path) and the reason. */
export type FieldIssue = { readonly field: string; readonly reason: string };

/**
 * Where a message failed: `envelope` — the bytes are no Warden envelope at all (size, UTF-8 JSON,
 * envelope schema), the same for every consumer of the stream; `event` — the envelope is fine but
 * this consumer cannot accept the event (its type, its data, the agent its subject names).
 */
export type InvalidScope = "envelope" | "event";

/** A message that can never become valid: terminate it, report it, never redeliver it. */
export class InvalidMessageError extends Error {
  override readonly name = "InvalidMessageError";
  readonly reason: InvalidReason;
  readonly issues: readonly FieldIssue[];
  readonly scope: InvalidScope;
  constructor(reason: InvalidReason, issues: readonly FieldIssue[], options?: { scope?: InvalidScope }) {
    super(issues.map((i) => `${i.field}: ${i.reason}`).join("; "));
    this.reason = reason;
    this.issues = issues;
    this.scope = options?.scope ?? "event";
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
