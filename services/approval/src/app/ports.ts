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
import type { ApprovalNotice, LinkRefusal } from "../domain/approval-notice.ts";
import { refusalKind } from "../domain/refusal-kind.ts";

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
  /** The input the workflow was started with, or undefined when there is none. */
  input(actionId: string): Promise<ApprovalInput | undefined>;
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

/**
 * Tells approvers about an approval (a chat channel: the Slack-compatible webhook, or a log). The
 * notify activity builds the notice (src/app/notify-approvers.ts) and hands it here.
 */
export interface Notifier {
  /** Resolves once the channel accepted the message; throws when it could not be delivered. */
  notify(notice: ApprovalNotice): Promise<void>;
}

/** Single use of link ids: `claim` is a compare-and-set, so of two concurrent claims one wins. */
export interface UsedLinkStore {
  /** True when this call marked the id used; false when it was already used. */
  claim(linkId: string, ttlSeconds: number): Promise<boolean>;
  /** Whether the id was used (for the confirmation page; never a substitute for claim). */
  isUsed(linkId: string): Promise<boolean>;
  /** Gives an id back after a vote failed for a transient reason (not a refusal), so the link works again. */
  release(linkId: string): Promise<void>;
}

/**
 * Casts a vote on an approval (the service's `decide`, i.e. the workflow's `vote` update).
 * Throws VoteRefusedError with the validator's code and message for a refused vote.
 */
export type VoteSubmitter = (actionId: string, vote: VoteInput) => Promise<ApprovalView>;

/** The current state of an approval, or undefined when there is none (the workflow's `state` query). */
export type ApprovalReader = (actionId: string) => Promise<ApprovalView | undefined>;

/** Publishes a refused link use as an event, so the audit holds the attempt. */
export interface LinkRefusalSink {
  refused(refusal: LinkRefusal): Promise<void>;
}

/** Who may be asked, and with which roles they vote when a link alone identifies them. */
export interface ApproverDirectory {
  /** Person ids holding any of these roles. */
  holdersOf(roles: readonly string[]): string[];
  /** The roles of a person (empty when unknown). */
  rolesOf(personId: string): string[];
}

/** The policy bundle digest in force now, as the bundle events tell it (undefined: not known). */
export interface ActiveBundle {
  digest(): string | undefined;
}

/** The emergency-stop state as the stop-state watcher sees it. */
export interface StopStateReader {
  current(): StopView;
  /** The epoch whose change `current()` holds completely; undefined while unknown (or not known). */
  applied?(): number | undefined;
}

/** Temporal could not accept a call now; the caller retries later. */
export class WorkflowsUnavailableError extends Error {
  override readonly name = "WorkflowsUnavailableError";
}

/** The workflow's validator refused a vote (code = the ApplicationFailure's type). */
export class VoteRefusedError extends Error {
  override readonly name = "VoteRefusedError";
  readonly code: string;
  /** True when the refusal is about who votes (self-approval, role, AI), false when about state. */
  readonly forbidden: boolean;
  constructor(code: string, message: string, forbidden = refusalKind(code) === "permission_denied") {
    super(message);
    this.code = code;
    this.forbidden = forbidden;
  }
}

/** No approval workflow for the action. */
export class ApprovalNotFoundError extends Error {
  override readonly name = "ApprovalNotFoundError";
}
