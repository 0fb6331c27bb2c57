// One error class per reason the SDK refuses to let an action run (fail closed). Every one extends
// WardenRefusal, so `catch (err) { if (err instanceof WardenRefusal) … }` covers them all, and
// `code` is stable for logs and metrics.
import type { ActionVerdictData, ApprovalStatus, DecisionData, FieldIssue } from "@warden/messaging";
import type { StopScopeView } from "@warden/messaging";

export type RefusalCode =
  | "no_responders"
  | "timeout"
  | "garbage_reply"
  | "service_error"
  | "invalid_action"
  | "denied"
  | "approval_refused"
  | "consume_refused"
  | "stop_state_unknown"
  | "stopped"
  | "aborted"
  | "closed";

export class WardenRefusal extends Error {
  readonly code: RefusalCode;
  /** The action this is about, once it has one. */
  readonly actionId: string | undefined;
  constructor(code: RefusalCode, message: string, actionId: string | undefined, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.actionId = actionId;
  }
}

/** Which Warden service an RPC was for. */
export type Responder = "policy" | "approval";

/** Nobody serves the RPC subject (the service is down, or this agent may not reach it). */
export class NoRespondersError extends WardenRefusal {
  override readonly name = "NoRespondersError";
  readonly responder: Responder;
  constructor(responder: Responder, subject: string, actionId: string | undefined, options?: ErrorOptions) {
    super("no_responders", `no ${responder} service answers on ${subject}`, actionId, options);
    this.responder = responder;
  }
}

/** No answer in time: from a service (`policy`, `approval`) or for the approval's verdict. */
export class RequestTimeoutError extends WardenRefusal {
  override readonly name = "RequestTimeoutError";
  readonly waitingFor: Responder | "verdict";
  readonly timeoutMs: number;
  constructor(
    waitingFor: Responder | "verdict",
    timeoutMs: number,
    actionId: string | undefined,
    options?: ErrorOptions,
  ) {
    super("timeout", `no ${waitingFor} answer within ${timeoutMs} ms`, actionId, options);
    this.waitingFor = waitingFor;
    this.timeoutMs = timeoutMs;
  }
}

/** A reply or verdict that does not match its schema, or is about another action or request. */
export class GarbageReplyError extends WardenRefusal {
  override readonly name = "GarbageReplyError";
  readonly from: Responder | "verdict";
  readonly issues: readonly FieldIssue[];
  constructor(from: Responder | "verdict", issues: readonly FieldIssue[], actionId: string | undefined) {
    super(
      "garbage_reply",
      `invalid ${from} reply: ${issues.map((i) => `${i.field}: ${i.reason}`).join("; ")}`,
      actionId,
    );
    this.from = from;
    this.issues = issues;
  }
}

/** The service answered with an error (other than an invalid request). */
export class ServiceError extends WardenRefusal {
  override readonly name = "ServiceError";
  readonly from: Responder;
  readonly serviceCode: string;
  constructor(from: Responder, serviceCode: string, message: string, actionId: string | undefined) {
    super("service_error", `${from} answered ${serviceCode}: ${message}`, actionId);
    this.from = from;
    this.serviceCode = serviceCode;
  }
}

/** The action is not a valid request (checked locally, or refused by the service). */
export class InvalidActionError extends WardenRefusal {
  override readonly name = "InvalidActionError";
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[], actionId: string | undefined) {
    super(
      "invalid_action",
      `invalid action: ${issues.map((i) => `${i.field}: ${i.reason}`).join("; ")}`,
      actionId,
    );
    this.issues = issues;
  }
}

/** The policy denied the action. */
export class DeniedError extends WardenRefusal {
  override readonly name = "DeniedError";
  readonly decision: DecisionData;
  constructor(decision: DecisionData) {
    super("denied", `denied: ${(decision.reasons ?? []).join("; ") || "no reason given"}`, decision.actionId);
    this.decision = decision;
  }
}

/** The approval ended without a go-ahead: rejected, blocked, expired, changes requested, aborted. */
export class ApprovalRefusedError extends WardenRefusal {
  override readonly name = "ApprovalRefusedError";
  readonly status: ApprovalStatus | "APPROVAL_STATUS_UNSPECIFIED";
  readonly verdict: ActionVerdictData;
  constructor(verdict: ActionVerdictData) {
    super(
      "approval_refused",
      `approval ${verdict.status.replace("APPROVAL_STATUS_", "").toLowerCase()}${verdict.reason ? `: ${verdict.reason}` : ""}`,
      verdict.actionId,
    );
    this.status = verdict.status;
    this.verdict = verdict;
  }
}

/** The approval service would not hand over the approval (already used, digest changed, …). */
export class ConsumeRefusedError extends WardenRefusal {
  override readonly name = "ConsumeRefusedError";
  /** The service's refusal code, e.g. `already_consumed`, `digest_mismatch`, `expired`. */
  readonly refusal: string;
  constructor(refusal: string, message: string, actionId: string) {
    super("consume_refused", `approval not consumed (${refusal})${message ? `: ${message}` : ""}`, actionId);
    this.refusal = refusal;
  }
}

/** The emergency-stop state is not confirmed (unreadable, invalid, or the lease ran out): stopped. */
export class StopStateUnknownError extends WardenRefusal {
  override readonly name = "StopStateUnknownError";
  readonly reason: string;
  constructor(reason: string, actionId: string | undefined) {
    super("stop_state_unknown", `emergency-stop state unknown (${reason}): treated as stopped`, actionId);
    this.reason = reason;
  }
}

/** An emergency stop covers this agent or action. */
export class StoppedError extends WardenRefusal {
  override readonly name = "StoppedError";
  readonly epoch: number;
  readonly scope: StopScopeView;
  constructor(epoch: number, scope: StopScopeView, actionId: string | undefined) {
    super(
      "stopped",
      `emergency stop (${scope.kind === "global" ? "global" : `${scope.kind} ${scope.value ?? "?"}`}, epoch ${epoch})`,
      actionId,
    );
    this.epoch = epoch;
    this.scope = scope;
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends WardenRefusal {
  override readonly name = "AbortedError";
  constructor(actionId: string | undefined, reason: unknown) {
    super("aborted", "aborted by the caller", actionId, { cause: reason });
  }
}

/** The client was closed. */
export class ClosedError extends WardenRefusal {
  override readonly name = "ClosedError";
  constructor(actionId: string | undefined) {
    super("closed", "the Warden client is closed", actionId);
  }
}
