// What Status reports: the scopes, the epoch, the pending deactivation and who has confirmed.
import type { PendingDeactivation } from "./deactivation.ts";
import type { Person, StopRecord } from "./stop-record.ts";

/** A consumer's confirmation that it now enforces an epoch. */
export type Acknowledgement = {
  readonly consumer: Person;
  /** Process or replica id, e.g. `policy@host:4242`. */
  readonly instanceId: string;
  readonly epoch: number;
  readonly at: string;
};

export type ConsumerStatus = Acknowledgement & {
  /** Whether its acknowledgement covers the current epoch. */
  readonly confirmed: boolean;
  readonly ageMs: number;
};

export type Status = {
  readonly epoch: number;
  /** Every scope ever stopped, with its current state. */
  readonly scopes: readonly StopRecord[];
  /** True while any scope stops something (active, or an agent awaiting re-enabling). */
  readonly active: boolean;
  readonly pending: PendingDeactivation | undefined;
  /** The expected consumers: each instance that acknowledged any epoch within the TTL. */
  readonly consumers: readonly ConsumerStatus[];
};
