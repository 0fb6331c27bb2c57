// The kill-switch use cases' outbound ports. Each has a real adapter (src/adapters/nats) and an
// in-memory fake (src/adapters/fakes); a fake and its real adapter pass the same contract suite.
import type { ActionRequestData } from "@warden/messaging";
import type { PendingDeactivation } from "../domain/deactivation.ts";
import type { PendingReEnable } from "../domain/re-enable.ts";
import type { Scope } from "../domain/scope.ts";
import type { Acknowledgement } from "../domain/status.ts";
import type { Approval, Person, StopRecord } from "../domain/stop-record.ts";

export type { Acknowledgement };

/** A value with the KV revision it was read at (compare-and-set token). */
export type Versioned<T> = { readonly value: T; readonly revision: number };

/**
 * The per-scope stop state, the epoch counter and the pending deactivation (JetStream KV). Every
 * write names the revision it expects (0: the key must not exist) and fails with ConflictError when
 * another write came first, so concurrent writers never lose each other's change.
 */
export interface StopStore {
  list(): Promise<Versioned<StopRecord>[]>;
  get(scope: Scope): Promise<Versioned<StopRecord> | undefined>;
  /** Returns the new revision. */
  put(record: StopRecord, expectedRevision: number): Promise<number>;
  /** The latest epoch handed out (0 when none). */
  currentEpoch(): Promise<number>;
  /** Hands out a new epoch, greater than every one before it (compare-and-set on a counter). */
  nextEpoch(): Promise<number>;
  getPending(): Promise<Versioned<PendingDeactivation> | undefined>;
  putPending(pending: PendingDeactivation, expectedRevision: number): Promise<number>;
  deletePending(expectedRevision: number): Promise<void>;
  /** Re-enables asked for and not completed yet (domain/re-enable.ts), one key per action id. */
  listReEnables(): Promise<PendingReEnable[]>;
  getReEnable(actionId: string): Promise<PendingReEnable | undefined>;
  /** Written once (a second write of the same action id is a ConflictError). */
  createReEnable(pending: PendingReEnable): Promise<void>;
  deleteReEnable(actionId: string): Promise<void>;
}

/**
 * The governed path of a re-enable: the kill-switch service's own action request (the policy
 * decides it, the approval service runs its workflow) and the single use of its approval.
 */
export interface ReEnableApprovals {
  /** Publishes `warden.action.requested.kill-switch` with this request. */
  request(request: ActionRequestData): Promise<void>;
  /** The approval service's consume RPC, as the agent kill-switch. */
  consume(
    actionId: string,
    requestDigest: string,
  ): Promise<{ consumed: boolean; refusal?: string | undefined; message: string }>;
}

/**
 * Signed chat requests already used, shared by every replica (a replay sent to another replica
 * behind the same URL is refused too).
 */
export interface ReplayGuard {
  /** True the first time `id` is claimed within `ttlMs`, on any replica; false for a replay. */
  firstUse(id: string, ttlMs: number): Promise<boolean>;
}

/** The latest acknowledgement of each consumer instance heard from (warden.killswitch.acknowledged). */
export interface AcknowledgementView {
  latest(): readonly Acknowledgement[];
}

export type Refusal = {
  readonly operation: "activate" | "deactivate" | "acknowledge" | "reenable";
  readonly person: Person | undefined;
  readonly reason: string;
  readonly at: string;
  /** Envelope id, when replicas may publish the same refusal (JetStream deduplicates it). */
  readonly id?: string | undefined;
};

export type Deactivation = {
  readonly epoch: number;
  readonly scopes: readonly Scope[];
  readonly approvals: readonly Approval[];
  readonly reviewRef: string;
  readonly rootCause: string;
  readonly prevention: string;
  readonly reEnabledAgents: readonly string[];
  /** Agents that stay disabled until re-enabled. */
  readonly stillDisabled: readonly string[];
  readonly at: string;
};

/** Every activation, approval, refusal, deactivation and acknowledgement is an event (the audit keeps it). */
export interface KillSwitchEvents {
  activated(records: readonly StopRecord[], epoch: number): Promise<void>;
  deactivationApproved(pending: PendingDeactivation): Promise<void>;
  deactivated(deactivation: Deactivation): Promise<void>;
  refused(refusal: Refusal): Promise<void>;
  acknowledged(ack: Acknowledgement): Promise<void>;
  reEnabled(event: {
    agentId: string;
    actionId: string;
    epoch: number;
    requestedBy: Person;
    at: string;
  }): Promise<void>;
}
