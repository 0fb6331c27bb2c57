// The state of one scope, as stored under its key. Every change carries a new epoch, taken from the
// bucket-wide epoch counter, so epochs never repeat and a scope's epoch never goes back.
import type { Scope } from "./scope.ts";

/** Who did something: always the verified caller (token subject and roles), never a payload field. */
export type Person = {
  readonly id: string;
  readonly type: "human" | "ai_agent" | "service";
  readonly roles: readonly string[];
  readonly name?: string | undefined;
};

export type Approval = { readonly approver: Person; readonly at: string };

export type Lifted = {
  readonly at: string;
  readonly approvals: readonly Approval[];
  readonly reviewRef: string;
  readonly rootCause: string;
  readonly prevention: string;
};

export type StopRecord = {
  readonly scope: Scope;
  /** True while the scope is stopped. */
  readonly active: boolean;
  /** The epoch of the last change to this scope. */
  readonly epoch: number;
  readonly reason: string;
  readonly activatedBy: Person;
  readonly activatedAt: string;
  /** Set once lifted: the post-incident record. */
  readonly lifted?: Lifted | undefined;
  /**
   * An agent stopped by an agent-scoped stop stays disabled after the stop is lifted until it is
   * re-enabled (the Deactivate call can name it; a later approved action can too).
   */
  readonly needsReEnabling: boolean;
  /**
   * The KV keys of every scope the change that wrote this record wrote at its epoch (this one
   * included). Consumers acknowledge an epoch only once each of them is applied (libs/messaging's
   * appliedEpoch); absent: the change wrote this scope alone.
   */
  readonly batch?: readonly string[] | undefined;
  /** Set once a disabled agent was re-enabled through an approved action (domain/re-enable.ts). */
  readonly reEnabled?:
    { readonly actionId: string; readonly at: string; readonly requestedBy: Person } | undefined;
};

/** Whether the record still keeps its scope from acting: active, or an agent not yet re-enabled. */
export function isStopping(record: StopRecord): boolean {
  return record.active || record.needsReEnabling;
}

export function activated(
  scope: Scope,
  epoch: number,
  reason: string,
  by: Person,
  at: Date,
  batch?: readonly string[],
): StopRecord {
  return {
    scope,
    active: true,
    epoch,
    reason,
    activatedBy: by,
    activatedAt: at.toISOString(),
    needsReEnabling: false,
    ...(batch !== undefined && batch.length > 1 && { batch }),
  };
}

export function lifted(
  record: StopRecord,
  epoch: number,
  lift: Lifted,
  reEnable: readonly string[],
  batch?: readonly string[],
): StopRecord {
  const agentStaysDisabled = record.scope.kind === "agent" && !reEnable.includes(record.scope.value);
  const { batch: _previous, ...rest } = record;
  return {
    ...rest,
    active: false,
    epoch,
    lifted: lift,
    needsReEnabling: agentStaysDisabled,
    ...(batch !== undefined && batch.length > 1 && { batch }),
  };
}
