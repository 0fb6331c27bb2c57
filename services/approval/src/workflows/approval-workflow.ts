// One durable approval per risky action (DESIGN.md §5, issue #13). Orchestration only: the rules are
// src/domain (pure), the I/O is the activities (events, notifications), sent after each state change
// in the order the changes happened. Votes are updates whose validator refuses before anything enters
// history; handlers are synchronous, so concurrent votes apply one at a time against fresh state.
// Timers: one per level (`condition` with a timeout), paused while frozen; none ever approves.
import { SearchAttributeType, defineSearchAttributeKey } from "@temporalio/common";
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from "@temporalio/workflow";
import type { Activities, NotifyKind } from "../activities/activities.ts";
import {
  applyConsume,
  applyStop,
  applyVote,
  checkConsume,
  checkVote,
  createApprovalState,
  deadlinePassed,
  isFinished,
  levelRoles,
  nextDeadline,
  toView,
  type ApprovalState,
  type Effect,
} from "../domain/approval-state.ts";
import type { VoteRefusal } from "../domain/refusals.ts";
import {
  APPROVAL_SEARCH_ATTRIBUTES,
  consumeUpdate,
  stateQuery,
  inputQuery,
  stopSignal,
  voteUpdate,
  type ApprovalInput,
  type ApprovalView,
  type ConsumeInput,
  type ConsumeResult,
  type VoteInput,
} from "./contract.ts";

const activities = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  // Events must get out: retried until they do (a NATS outage delays them, loses none).
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "1 minute" },
});

export const searchAttributeKeys = {
  status: defineSearchAttributeKey(APPROVAL_SEARCH_ATTRIBUTES.status, SearchAttributeType.KEYWORD),
  risk: defineSearchAttributeKey(APPROVAL_SEARCH_ATTRIBUTES.risk, SearchAttributeType.KEYWORD),
  agent: defineSearchAttributeKey(APPROVAL_SEARCH_ATTRIBUTES.agent, SearchAttributeType.KEYWORD),
  environment: defineSearchAttributeKey(APPROVAL_SEARCH_ATTRIBUTES.environment, SearchAttributeType.KEYWORD),
  escalationLevel: defineSearchAttributeKey(
    APPROVAL_SEARCH_ATTRIBUTES.escalationLevel,
    SearchAttributeType.INT,
  ),
};

/** The validator's refusal: nonRetryable, type = the stable code, details = [{ code, field }]. */
function refusalFailure(refusal: VoteRefusal): ApplicationFailure {
  return ApplicationFailure.nonRetryable(refusal.message, refusal.code, {
    code: refusal.code,
    field: refusal.field,
  });
}

function validateConsumeInput(c: ConsumeInput): void {
  const fields: [keyof ConsumeInput, string][] = [
    ["agentId", "string"],
    ["requestDigest", "string"],
    ["bundleDigest", "string"],
    ["killswitchEpoch", "number"],
  ];
  for (const [field, type] of fields) {
    if (typeof (c as Partial<ConsumeInput> | undefined)?.[field] !== type)
      throw ApplicationFailure.nonRetryable(`${field} must be a ${type}`, "invalid_consume", {
        code: "invalid_consume",
        field,
      });
  }
}

type Send = () => Promise<void>;

export async function approvalWorkflow(input: ApprovalInput): Promise<ApprovalView> {
  const state: ApprovalState = createApprovalState(input, Date.now());
  const outbox: Send[] = [];
  let version = 0;

  const allRoles = (): string[] => [
    ...new Set([
      ...levelRoles(input.definition, input.definition.escalation.length),
      ...input.breakGlassRoles,
    ]),
  ];
  const notify =
    (approval: ApprovalView, kind: NotifyKind, roles: string[]): Send =>
    () =>
      activities.notify({ approval, kind, channels: [...input.definition.notify], roles, input });

  const upsert = (): void => {
    upsertSearchAttributes([
      { key: searchAttributeKeys.status, value: state.status },
      { key: searchAttributeKeys.risk, value: input.risk },
      { key: searchAttributeKeys.agent, value: input.agentId },
      { key: searchAttributeKeys.environment, value: input.environment },
      { key: searchAttributeKeys.escalationLevel, value: state.level },
    ]);
  };

  /** Records the change: search attributes now, events (in order) from the main loop. */
  const changed = (effects: Effect[]): void => {
    if (effects.length === 0) return;
    version += 1;
    upsert();
    const approval = toView(state);
    for (const effect of effects) {
      switch (effect.kind) {
        case "vote_cast":
        case "recommended": {
          const event = { approval, vote: effect.vote, recommendation: effect.kind === "recommended" };
          outbox.push(() => activities.publishVoteCast(event));
          break;
        }
        case "escalated": {
          const { fromLevel, toLevel, cause, roles } = effect;
          outbox.push(() => activities.publishEscalated({ approval, fromLevel, toLevel, cause, roles }));
          outbox.push(notify(approval, "escalated", approval.currentRoles));
          break;
        }
        case "resolved":
          outbox.push(() => activities.publishResolved({ approval }));
          outbox.push(() => activities.publishVerdict({ approval, outcome: effect.status }));
          outbox.push(
            notify(
              approval,
              effect.breakGlass && effect.status === "approved" ? "break_glass" : "resolved",
              allRoles(),
            ),
          );
          break;
        case "frozen":
        case "released":
          outbox.push(notify(approval, effect.kind, approval.currentRoles));
          break;
        case "consumed":
          break;
      }
    }
  };

  // The request comes first, before any handler is set: setHandler delivers updates buffered in the
  // first activation (a vote arriving with the start) synchronously, and their events must follow it.
  upsert();
  const requested = toView(state);
  outbox.push(() => activities.publishRequested({ approval: requested, input }));
  outbox.push(notify(requested, "requested", requested.currentRoles));

  setHandler(stateQuery, () => toView(state));
  // A query adds no command to the history: replay of older histories is unaffected.
  setHandler(inputQuery, () => input);

  setHandler(
    voteUpdate,
    (vote) => {
      // Re-checked: the state may have moved between validation and this handler.
      const refusal = checkVote(state, vote);
      if (refusal !== undefined) throw refusalFailure(refusal);
      changed(applyVote(state, vote, Date.now()));
      return toView(state);
    },
    {
      validator: (vote: VoteInput) => {
        const refusal = checkVote(state, vote);
        if (refusal !== undefined) throw refusalFailure(refusal);
      },
    },
  );

  setHandler(
    consumeUpdate,
    (c): ConsumeResult => {
      const refused = checkConsume(state, c, Date.now());
      if (refused !== undefined) {
        const approval = toView(state);
        const { refusal, message } = refused;
        outbox.push(() =>
          activities.publishRefusal({
            approval,
            operation: "consume",
            code: refusal,
            message,
            actor: { type: "ai_agent", id: c.agentId },
          }),
        );
        version += 1;
        return { consumed: false, refusal, message, approval };
      }
      changed(applyConsume(state, Date.now()));
      return { consumed: true, message: "approval consumed", approval: toView(state) };
    },
    { validator: validateConsumeInput },
  );

  setHandler(stopSignal, (signal) => changed(applyStop(state, signal, Date.now())));

  const drain = async (): Promise<void> => {
    for (let send = outbox.shift(); send !== undefined; send = outbox.shift()) await send();
  };

  while (!isFinished(state)) {
    await drain();
    if (isFinished(state)) break;
    const seen = version;
    const woke = (): boolean => version !== seen || outbox.length > 0;
    const deadline = nextDeadline(state);
    if (deadline === undefined) {
      await condition(woke); // frozen: no timer runs (ADR: deadlines pause across a stop)
      continue;
    }
    const left = deadline - Date.now();
    if (left > 0 && (await condition(woke, left))) continue;
    changed(deadlinePassed(state, Date.now()));
  }
  // Late updates (a second consume, a vote after resolution) get their answer and their event.
  do {
    await condition(allHandlersFinished);
    await drain();
  } while (outbox.length > 0);
  return toView(state);
}
