// The activities the approval workflow calls (its only way out: the workflow never does I/O).
// A type only: the workflow imports it with `import type` through proxyActivities; the real
// implementations (NATS events, notifier) are built by createActivities(deps) in the service; the
// in-memory recording fake is src/adapters/fakes/recording-activities.ts. Every payload is plain
// data: the approval's view after the change, plus what the event needs. Each is called AFTER the
// state change it reports, in order; activities must be idempotent (retried on failure).
import type { ApprovalInput, ApprovalView, VoteView } from "../domain/approval-types.ts";
import type { NoticeKind } from "../domain/approval-notice.ts";

export type EscalationCause = "timeout" | "vote";

export interface RequestedEvent {
  approval: ApprovalView;
  /** The input as started: definition, decision (proto3 JSON), break-glass roles, validity. */
  input: ApprovalInput;
}

export interface VoteCastEvent {
  approval: ApprovalView;
  vote: VoteView;
  /** An AI agent's recommendation (stored and shown, never counted). */
  recommendation: boolean;
}

export interface EscalatedEvent {
  approval: ApprovalView;
  fromLevel: number;
  toLevel: number;
  cause: EscalationCause;
  /** The roles the new level adds (who is asked now). */
  roles: string[];
}

export interface ResolvedEvent {
  /** approval.status: approved | rejected | changes_requested | blocked | expired. */
  approval: ApprovalView;
}

export interface VerdictEvent {
  approval: ApprovalView;
  outcome: ApprovalView["status"];
}

/** A refusal the workflow itself decided (consume refusals; vote refusals are published by the transport). */
export interface RefusalEvent {
  approval: ApprovalView;
  operation: "consume";
  code: string;
  message: string;
  actor: { type: "ai_agent"; id: string };
}

export type NotifyKind = NoticeKind;

export interface NotifyRequest {
  approval: ApprovalView;
  kind: NotifyKind;
  /** The definition's channels, e.g. `slack:#deploy-approvals`. */
  channels: string[];
  /** Whom the message is for: the roles asked now (every role of the chain for resolved / break-glass). */
  roles: string[];
  /**
   * The input as started (the request's change summary, matched rules, requester), for the notice.
   * Optional: histories recorded before it was added schedule notify without it.
   */
  input?: ApprovalInput | undefined;
}

export interface Activities {
  publishRequested(event: RequestedEvent): Promise<void>;
  publishVoteCast(event: VoteCastEvent): Promise<void>;
  publishEscalated(event: EscalatedEvent): Promise<void>;
  publishResolved(event: ResolvedEvent): Promise<void>;
  publishVerdict(event: VerdictEvent): Promise<void>;
  publishRefusal(event: RefusalEvent): Promise<void>;
  notify(request: NotifyRequest): Promise<void>;
}

export type ActivityName = keyof Activities;
