// Re-enabling an agent that an agent-scoped stop left disabled, through an approved action:
// request → (policy → approval workflow) → verdict → consume the approval → clear the scope.
// Nothing here approves anything: the approval service decides, and the person who asked is the
// request's requestedBy, whom the approval refuses as a voter (self-approval).
import { createHash, randomUUID } from "node:crypto";
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
  isWardenError,
} from "@warden/grpc/errors";
import { PermissionError } from "@warden/identity";
import { events as wardenEvents } from "@warden/messaging";
import type { ActionRequestData } from "@warden/messaging";
import canonicalize from "canonicalize";
import { KILL_SWITCH_AGENT_ID, REENABLE_ACTION, FINAL_REFUSALS, reEnabled } from "../domain/re-enable.ts";
import type { PendingReEnable } from "../domain/re-enable.ts";
import type { Person } from "../domain/stop-record.ts";
import type { KillSwitchEvents, ReEnableApprovals, StopStore } from "./ports.ts";

const MAX_ATTEMPTS = 16;
const AGENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

export type ReEnableOutcome =
  | { readonly state: "re_enabled"; readonly epoch: number }
  | { readonly state: "waiting"; readonly message: string }
  | { readonly state: "ended"; readonly message: string };

export type ReEnabler = {
  /** Asks for the re-enable; returns its action id (the approval is `approval-<actionId>`). */
  request(person: Person, input: { agentId: string; reason: string }): Promise<{ actionId: string }>;
  /**
   * After a verdict (or on a sweep): `proceed` consumes the approval and re-enables the agent;
   * `abort` ends the pending re-enable. Unknown action ids are ignored (not ours, or done).
   */
  complete(actionId: string, verdict: "proceed" | "abort" | "unknown"): Promise<ReEnableOutcome | undefined>;
  /** Tries every pending re-enable once (after a restart, a verdict may have been missed). */
  sweep(): Promise<void>;
};

/**
 * `sha256:<hex>` over the RFC 8785 canonical JSON of the request as the policy reads it (parsed by
 * the same schema): the digest its decision, and so the approval, is bound to.
 */
function digestOf(request: ActionRequestData): string {
  return `sha256:${createHash("sha256")
    .update(canonicalize(wardenEvents.actionRequested.data.parse(request)) ?? "")
    .digest("hex")}`;
}

const actorType = {
  human: "ACTOR_TYPE_HUMAN",
  ai_agent: "ACTOR_TYPE_AI_AGENT",
  service: "ACTOR_TYPE_SERVICE",
} as const;

export function createReEnabler(deps: {
  store: StopStore;
  events: KillSwitchEvents;
  approvals: ReEnableApprovals;
  /** Who may ask (the activation roles by default). */
  roles: readonly string[];
  clock?: () => Date;
}): ReEnabler {
  const { store, events, approvals, roles } = deps;
  const clock = deps.clock ?? (() => new Date());

  const refusing = async <T>(person: Person, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (isWardenError(err) || err instanceof PermissionError) {
        await events.refused({
          operation: "reenable",
          person,
          reason: err.message,
          at: clock().toISOString(),
        });
      }
      throw err;
    }
  };

  const clear = async (pending: PendingReEnable): Promise<number | undefined> => {
    const scope = { kind: "agent", value: pending.agentId } as const;
    for (let attempt = 0; ; attempt++) {
      const current = await store.get(scope);
      if (current === undefined || current.value.active || !current.value.needsReEnabling) return undefined;
      let epoch: number;
      try {
        epoch = await store.nextEpoch();
      } catch (err) {
        if (err instanceof ConflictError && attempt < MAX_ATTEMPTS * 4) continue;
        throw err;
      }
      const at = clock().toISOString();
      try {
        await store.put(
          reEnabled(current.value, epoch, {
            actionId: pending.actionId,
            at,
            requestedBy: pending.requestedBy,
          }),
          current.revision,
        );
      } catch (err) {
        if (err instanceof ConflictError && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
      await events.reEnabled({
        agentId: pending.agentId,
        actionId: pending.actionId,
        epoch,
        requestedBy: pending.requestedBy,
        at,
      });
      return epoch;
    }
  };

  const complete: ReEnabler["complete"] = async (actionId, verdict) => {
    const pending = await store.getReEnable(actionId);
    if (pending === undefined) return undefined;
    if (verdict === "abort") {
      await store.deleteReEnable(actionId);
      return { state: "ended", message: "the re-enable was not approved" };
    }
    const used = await approvals.consume(actionId, pending.requestDigest);
    if (!used.consumed) {
      const refusal = used.refusal ?? "unspecified";
      if (FINAL_REFUSALS.has(refusal)) {
        await store.deleteReEnable(actionId);
        return { state: "ended", message: `approval not usable (${refusal}): ${used.message}` };
      }
      return { state: "waiting", message: `${refusal}: ${used.message}` };
    }
    // Consumed: the approval is spent whether or not the agent still needed it.
    const epoch = await clear(pending);
    await store.deleteReEnable(actionId);
    return epoch === undefined
      ? { state: "ended", message: `agent ${pending.agentId} no longer needed re-enabling` }
      : { state: "re_enabled", epoch };
  };

  return {
    request: (person, input) =>
      refusing(person, async () => {
        if (!roles.some((role) => person.roles.includes(role))) {
          throw new PermissionDeniedError(
            `asking to re-enable an agent needs one of the roles ${roles.join(", ")}; ${person.id} holds ${person.roles.length === 0 ? "none" : person.roles.join(", ")}`,
          );
        }
        const agentId = input.agentId.trim();
        const reason = input.reason.trim();
        const violations = [
          ...(AGENT_ID.test(agentId)
            ? []
            : [{ field: "agentId", reason: "required: the disabled agent's id ([A-Za-z0-9_-], ≤ 128)" }]),
          ...(reason === "" ? [{ field: "reason", reason: "required: why the agent may act again" }] : []),
        ];
        const [first, ...rest] = violations;
        if (first !== undefined) throw new InvalidArgumentError([first, ...rest]);
        const record = (await store.get({ kind: "agent", value: agentId }))?.value;
        if (record?.active === true) {
          throw new FailedPreconditionError(
            `agent ${agentId}'s stop is still active: lift it first (two-person Deactivate)`,
          );
        }
        if (record?.needsReEnabling !== true) {
          throw new FailedPreconditionError(`agent ${agentId} is not disabled by a stop`);
        }
        const now = clock();
        const actionId = `reenable-${agentId}-${randomUUID()}`.slice(0, 128);
        const request: ActionRequestData = {
          actionId,
          agentId: KILL_SWITCH_AGENT_ID,
          action: REENABLE_ACTION,
          target: `agent/${agentId}`,
          reason,
          requestedBy: {
            type: actorType[person.type],
            id: person.id,
            roles: [...person.roles],
            ...(person.name !== undefined && { name: person.name }),
          },
          arguments: { agentId, stoppedAtEpoch: record.epoch },
          requestedAt: now.toISOString(),
        };
        await store.createReEnable({
          actionId,
          agentId,
          requestedBy: person,
          reason,
          requestedAt: now.toISOString(),
          request,
          requestDigest: digestOf(request),
        });
        await approvals.request(request);
        return { actionId };
      }),
    complete,
    async sweep() {
      for (const pending of await store.listReEnables()) await complete(pending.actionId, "unknown");
    },
  };
}
