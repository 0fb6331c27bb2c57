// Outbound ports of the approval notifier and the signed chat links (issue #13). Kept in this file
// while three branches build the service in parallel; the integrator folds it into ports.ts.
import type { ApprovalView, VoteInput } from "../workflows/contract.ts";
import type { ApprovalNotice, LinkRefusal } from "../domain/approval-notice.ts";

/** Tells approvers an action waits for them (a chat channel, mail, …). */
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
 * Casts a vote on an approval (approval-service implements it with the workflow's `vote` update).
 * Throws VoteRefusedError with the validator's message for a refused vote.
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
