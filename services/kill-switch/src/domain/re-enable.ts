// Re-enabling an agent that an agent-scoped stop left disabled (needsReEnabling) is an action of
// its own: the kill-switch service asks for it as the agent `kill-switch` (action agent.reenable),
// the policy routes it to an approval workflow, and only an approved, consumed approval clears it.
// The person who asked is the request's requestedBy, so the approval refuses them as a voter.
import type { Person, StopRecord } from "./stop-record.ts";

/** The agent id the kill-switch service acts as, and the action it asks for. */
export const KILL_SWITCH_AGENT_ID = "kill-switch";
export const REENABLE_ACTION = "agent.reenable";

/** A re-enable asked for and not yet completed (or refused), as stored until then. */
export type PendingReEnable = {
  readonly actionId: string;
  readonly agentId: string;
  readonly requestedBy: Person;
  readonly reason: string;
  readonly requestedAt: string;
  /** The request the approval is bound to, and its digest (what consume presents). */
  readonly request: Readonly<Record<string, unknown>>;
  readonly requestDigest: string;
};

export type ReEnabled = { readonly actionId: string; readonly at: string; readonly requestedBy: Person };

/** The scope record once its agent is re-enabled: no longer stopping, at a new epoch. */
export function reEnabled(record: StopRecord, epoch: number, info: ReEnabled): StopRecord {
  // A change of this scope alone: the batch of the change before it does not carry over.
  const { batch: _previous, ...rest } = record;
  return { ...rest, epoch, needsReEnabling: false, reEnabled: info };
}

/**
 * Consume refusals (services/approval's ConsumeRefusal) after which this approval can never be
 * used: the pending re-enable ends and a new one must be asked for. `not_approved` (still pending,
 * or rejected — the verdict tells which) and `frozen` (a stop covers it) are not final.
 */
export const FINAL_REFUSALS: ReadonlySet<string> = new Set([
  "not_found",
  "already_consumed",
  "digest_mismatch",
  "bundle_changed",
  "epoch_changed",
  "expired",
  "wrong_agent",
]);
