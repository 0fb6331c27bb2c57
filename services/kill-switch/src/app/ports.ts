// The kill-switch use cases' outbound ports. Each has a real adapter (src/adapters/nats) and an
// in-memory fake (src/adapters/fakes); a fake and its real adapter pass the same contract suite.
import type { PendingDeactivation } from "../domain/deactivation.ts";
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
}

/** The latest acknowledgement of each consumer instance heard from (warden.killswitch.acknowledged). */
export interface AcknowledgementView {
  latest(): readonly Acknowledgement[];
}

export type Refusal = {
  readonly operation: "activate" | "deactivate" | "acknowledge";
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
}
