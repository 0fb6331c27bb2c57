// The kill-switch use cases: activate, deactivate (two-person rule), status, acknowledge. The
// caller is always the verified principal the transport hands in, never a payload field.
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
  isWardenError,
} from "@warden/grpc/errors";
import { PermissionError } from "@warden/identity";
import { approveDeactivation, checkPostIncident, missingRoles } from "../domain/deactivation.ts";
import type { DeactivationRole, PendingDeactivation } from "../domain/deactivation.ts";
import { describeScope, sameScope, scopeKey } from "../domain/scope.ts";
import type { Scope } from "../domain/scope.ts";
import { activated, isStopping, lifted } from "../domain/stop-record.ts";
import type { Status } from "../domain/status.ts";
import type { Person, StopRecord } from "../domain/stop-record.ts";
import type { AcknowledgementView, KillSwitchEvents, Refusal, StopStore, Versioned } from "./ports.ts";

export const DEFAULT_ACTIVATION_ROLES = [
  "on-call-engineer",
  "engineering-lead",
  "security-lead",
  "cto",
] as const;
const MAX_ATTEMPTS = 16;

export type KillSwitchDeps = {
  store: StopStore;
  events: KillSwitchEvents;
  acks: AcknowledgementView;
  activationRoles?: readonly string[];
  /** A consumer not heard from for this long is no longer expected to acknowledge. */
  consumerTtlMs?: number;
  clock?: () => Date;
};

export type ActivateInput = { scopes: readonly Scope[]; reason: string | undefined };
export type ActivateResult = {
  readonly epoch: number;
  readonly activated: readonly StopRecord[];
  readonly alreadyActive: readonly StopRecord[];
};

export type DeactivateInput = {
  epoch: number;
  scopes: readonly Scope[];
  reviewRef?: string | undefined;
  rootCause?: string | undefined;
  prevention?: string | undefined;
  reEnableAgents: readonly string[];
};
export type DeactivateResult = {
  readonly deactivated: boolean;
  readonly missingRoles: readonly DeactivationRole[];
  readonly status: Status;
};

export type KillSwitchService = {
  activate(person: Person, input: ActivateInput): Promise<ActivateResult>;
  deactivate(person: Person, input: DeactivateInput): Promise<DeactivateResult>;
  status(): Promise<Status>;
  acknowledge(person: Person, input: { epoch: number; instanceId: string }): Promise<Status>;
  /** A refusal decided at a transport (forged, stale or replayed chat request; unknown chat user). */
  refused(operation: Refusal["operation"], person: Person | undefined, reason: string): Promise<void>;
};

export function createKillSwitchService(deps: KillSwitchDeps): KillSwitchService {
  const { store, events, acks } = deps;
  const roles = deps.activationRoles ?? DEFAULT_ACTIVATION_ROLES;
  const ttl = deps.consumerTtlMs ?? 120_000;
  const clock = deps.clock ?? (() => new Date());

  const refusing = async <T>(
    operation: Refusal["operation"],
    person: Person | undefined,
    run: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (isWardenError(err) || err instanceof PermissionError) {
        await events.refused({ operation, person, reason: err.message, at: clock().toISOString() });
      }
      throw err;
    }
  };

  /** A new epoch; a lost compare-and-set on the counter (another writer took one) is retried. */
  const allocateEpoch = async (): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await store.nextEpoch();
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= MAX_ATTEMPTS * 4) throw err;
      }
    }
  };

  const status = async (): Promise<Status> => {
    const [records, epoch, pending] = await Promise.all([
      store.list(),
      store.currentEpoch(),
      store.getPending(),
    ]);
    const now = clock().getTime();
    // Confirmed against the epoch the records hold (what a consumer can apply), not the counter: the
    // counter moves before the records are written, and an epoch whose every compare-and-set was
    // lost is never written at all.
    const recorded = Math.max(0, ...records.map((r) => r.value.epoch));
    const consumers = acks
      .latest()
      .map((a) => ({ ...a, ageMs: Math.max(0, now - Date.parse(a.at)), confirmed: a.epoch >= recorded }))
      .filter((c) => c.ageMs <= ttl)
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    const scopes = records
      .map((r) => r.value)
      .sort((a, b) => describeScope(a.scope).localeCompare(describeScope(b.scope)));
    return { epoch, scopes, active: scopes.some(isStopping), pending: pending?.value, consumers };
  };

  /** Finishes an approved deactivation (its lift epoch is set): lifts each scope, then drops the pending record. */
  const rollForward = async (): Promise<void> => {
    const pending = await store.getPending();
    const liftEpoch = pending?.value.liftEpoch;
    if (pending === undefined || liftEpoch === undefined) return;
    const p = pending.value;
    const at = clock().toISOString();
    const lift = {
      at,
      approvals: p.approvals.map(({ approver, at: when }) => ({ approver, at: when })),
      reviewRef: p.reviewRef,
      rootCause: p.rootCause,
      prevention: p.prevention,
    };
    const stillDisabled: string[] = [];
    const batch = p.scopes.map(scopeKey).sort();
    for (const scope of p.scopes) {
      for (let attempt = 0; ; attempt++) {
        const current = await store.get(scope);
        if (current === undefined || !current.value.active || current.value.epoch >= liftEpoch) break;
        const next = lifted(current.value, liftEpoch, lift, p.reEnableAgents, batch);
        try {
          await store.put(next, current.revision);
          if (next.needsReEnabling && next.scope.kind !== "global") stillDisabled.push(next.scope.value);
          break;
        } catch (err) {
          if (!(err instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw err;
        }
      }
    }
    await store.deletePending(pending.revision).catch((err: unknown) => {
      if (!(err instanceof ConflictError)) throw err;
    });
    await events.deactivated({
      epoch: liftEpoch,
      scopes: p.scopes,
      approvals: lift.approvals,
      reviewRef: p.reviewRef,
      rootCause: p.rootCause,
      prevention: p.prevention,
      reEnabledAgents: p.reEnableAgents,
      stillDisabled,
      at,
    });
  };

  return {
    activate: (person, input) =>
      refusing("activate", person, async () => {
        if (!roles.some((role) => person.roles.includes(role))) {
          throw new PermissionDeniedError(
            `activating an emergency stop needs one of the roles ${roles.join(", ")}; ${person.id} holds ${person.roles.length === 0 ? "none" : person.roles.join(", ")}`,
          );
        }
        const reason = input.reason?.trim() ?? "";
        const violations = [
          ...(reason === "" ? [{ field: "reason", reason: "required: why the stop is activated" }] : []),
          ...(input.scopes.length === 0
            ? [{ field: "scopes", reason: "at least one scope, e.g. global or environment:production" }]
            : []),
        ];
        const [first, ...rest] = violations;
        if (first !== undefined) throw new InvalidArgumentError([first, ...rest]);
        let remaining = input.scopes.filter((s, i) => input.scopes.findIndex((o) => sameScope(o, s)) === i);
        const done: StopRecord[] = [];
        const already: StopRecord[] = [];
        for (let attempt = 0; remaining.length > 0; attempt++) {
          if (attempt >= MAX_ATTEMPTS) throw new ConflictError("too many concurrent changes; try again");
          const current = await Promise.all(
            remaining.map(async (scope) => ({ scope, read: await store.get(scope) })),
          );
          for (const c of current) if (c.read?.value.active === true) already.push(c.read.value);
          const toWrite = current.filter((c) => c.read?.value.active !== true);
          if (toWrite.length === 0) break;
          const epoch = await allocateEpoch();
          const now = clock();
          const written: StopRecord[] = [];
          const conflicted: Scope[] = [];
          // Each record names the whole change: consumers acknowledge the epoch once all are in.
          const batch = toWrite.map((w) => scopeKey(w.scope)).sort();
          for (const { scope, read } of toWrite) {
            const record = activated(scope, epoch, reason, person, now, batch);
            try {
              await store.put(record, read?.revision ?? 0);
              written.push(record);
            } catch (err) {
              if (!(err instanceof ConflictError)) throw err;
              conflicted.push(scope);
            }
          }
          if (written.length > 0) await events.activated(written, epoch);
          done.push(...written);
          remaining = conflicted;
        }
        return { epoch: await store.currentEpoch(), activated: done, alreadyActive: already };
      }),

    deactivate: (person, input) =>
      refusing("deactivate", person, async () => {
        const post = checkPostIncident(input);
        await rollForward();
        const epoch = await store.currentEpoch();
        if (input.epoch !== epoch) {
          throw new ConflictError(
            `the state changed: the epoch is ${epoch}, the request saw ${input.epoch}; read Status and approve again`,
          );
        }
        const records = await store.list();
        const active = records.map((r) => r.value).filter((r) => r.active);
        if (active.length === 0) throw new FailedPreconditionError("no emergency stop is active");
        for (const scope of input.scopes) {
          if (!active.some((r) => sameScope(r.scope, scope))) {
            throw new FailedPreconditionError(`scope ${describeScope(scope)} is not stopped`);
          }
        }
        const scopes = (input.scopes.length > 0 ? input.scopes : active.map((r) => r.scope))
          .slice()
          .sort((a, b) => describeScope(a).localeCompare(describeScope(b)));
        const stored: Versioned<PendingDeactivation> | undefined = await store.getPending();
        // A pending approval for an older epoch is stale: the state changed since, so it starts over.
        const pending = stored?.value.epoch === epoch ? stored.value : undefined;
        const { pending: next, complete } = approveDeactivation(
          pending,
          { ...post, epoch, scopes, reEnableAgents: input.reEnableAgents },
          person,
          clock(),
        );
        if (!complete) {
          await store.putPending(next, stored?.revision ?? 0);
          await events.deactivationApproved(next);
          return { deactivated: false, missingRoles: missingRoles(next), status: await status() };
        }
        const liftEpoch = await allocateEpoch();
        await store.putPending({ ...next, liftEpoch }, stored?.revision ?? 0);
        await rollForward();
        return { deactivated: true, missingRoles: [], status: await status() };
      }),

    status: async () => {
      await rollForward();
      return status();
    },

    refused: (operation, person, reason) =>
      events.refused({ operation, person, reason, at: clock().toISOString() }),

    acknowledge: (person, input) =>
      refusing("acknowledge", person, async () => {
        if (input.instanceId.trim() === "")
          throw new InvalidArgumentError("instanceId", "required: the consumer's process or replica id");
        if (!Number.isSafeInteger(input.epoch) || input.epoch < 0)
          throw new InvalidArgumentError("epoch", "a whole number ≥ 0");
        await events.acknowledged({
          consumer: person,
          instanceId: input.instanceId.trim(),
          epoch: input.epoch,
          at: clock().toISOString(),
        });
        return status();
      }),
  };
}
