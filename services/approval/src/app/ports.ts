// Every outbound port of the approval service. The workflow itself (src/workflows) owns the vote
// rules; the service shell starts workflows, reads them, forwards votes, consumes and stop changes.
import type {
  ApprovalInput,
  ApprovalView,
  ConsumeInput,
  ConsumeResult,
  StopSignal,
  VoteInput,
} from "../workflows/contract.ts";
import type { StopView } from "../domain/stop-coverage.ts";
import type { NotifyRequest } from "../activities/activities.ts";

export type { StopView };

/** The approval workflows as Temporal holds them. */
export interface ApprovalWorkflows {
  /**
   * Starts `approval-<actionId>`; a running or finished workflow with that id is left as it is
   * (Temporal's conflict / reuse policy). Throws WorkflowsUnavailableError while Temporal cannot accept it.
   */
  start(input: ApprovalInput): Promise<{ started: boolean }>;
  /** The workflow's view (state query), or undefined when there is none. */
  view(actionId: string): Promise<ApprovalView | undefined>;
  /** Pending or frozen approvals matching the filter, newest first, one page. */
  listOpen(filter: OpenFilter, page: { size: number; token?: string | undefined }): Promise<OpenPage>;
  /** Casts a vote; throws VoteRefusedError with the validator's code and message. */
  vote(actionId: string, vote: VoteInput): Promise<ApprovalView>;
  /** Consumes an approval (single use); undefined when there is no such workflow. */
  consume(actionId: string, input: ConsumeInput): Promise<ConsumeResult | undefined>;
  /** Sends the stop state to one workflow. */
  signalStop(actionId: string, signal: StopSignal): Promise<void>;
}

export interface OpenFilter {
  agentId?: string | undefined;
  environment?: string | undefined;
  risk?: string | undefined;
}

/** One open approval as the visibility store lists it (before its state is queried). */
export interface OpenApproval {
  actionId: string;
  agentId: string;
  environment: string;
}

export interface OpenPage {
  approvals: OpenApproval[];
  nextPageToken?: string | undefined;
}

/** One refused vote or consume attempt, for the audit. */
export interface ApprovalRefusal {
  actionId: string;
  agentId: string;
  /** "vote" (gRPC Decide), "consume" (the agent's single use) or "verdict" (its verdict read-back). */
  attempt: "vote" | "consume" | "verdict";
  actor: { type: string; id: string; roles: string[] };
  /** The refusal code, e.g. self_approval, already_consumed. */
  code: string;
  message: string;
  decision?: string | undefined;
}

/** Events the shell itself publishes (the activities publish the workflow's own events). */
export interface ApprovalEvents {
  refused(refusal: ApprovalRefusal): Promise<void>;
}

/** Tells approvers (chat, e-mail): approval-links builds the Slack-compatible adapter. */
export interface Notifier {
  notify(request: NotifyRequest): Promise<void>;
}

/** The policy bundle digest in force now, as the bundle events tell it (undefined: not known). */
export interface ActiveBundle {
  digest(): string | undefined;
}

/** The emergency-stop state as the stop-state watcher sees it. */
export interface StopStateReader {
  current(): StopView;
}

/** Temporal could not accept a call now; the caller retries later. */
export class WorkflowsUnavailableError extends Error {
  override readonly name = "WorkflowsUnavailableError";
}

/** The workflow's validator refused a vote (code = the ApplicationFailure's type). */
export class VoteRefusedError extends Error {
  override readonly name = "VoteRefusedError";
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** No approval workflow for the action. */
export class ApprovalNotFoundError extends Error {
  override readonly name = "ApprovalNotFoundError";
}
