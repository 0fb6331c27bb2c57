// The approval service's use cases over its ports: start an approval from a decision, read and list
// approvals, forward a vote or a consume to the workflow (which owns every rule), publish every
// refusal, and forward emergency-stop changes to the workflows they cover.
import pLimit from "p-limit";
import { stopFor, stopViewKey } from "../domain/stop-coverage.ts";
import type { StopView } from "../domain/stop-coverage.ts";
import type {
  ApprovalActor,
  ApprovalInput,
  ApprovalView,
  ConsumeRefusal,
  VoteInput,
} from "../workflows/contract.ts";
import { ApprovalNotFoundError, VoteRefusedError } from "./ports.ts";
import type {
  ActiveBundle,
  ApprovalEvents,
  ApprovalWorkflows,
  OpenApproval,
  OpenFilter,
  StopStateReader,
} from "./ports.ts";

export interface ConsumeAnswer {
  consumed: boolean;
  refusal?: ConsumeRefusal | undefined;
  message: string;
  approval?: ApprovalView | undefined;
}

/** One ListPending row: what Get answers (the view and the input it was started with). */
export interface PendingApproval {
  view: ApprovalView;
  input?: ApprovalInput | undefined;
}

export interface PendingPage {
  approvals: PendingApproval[];
  nextPageToken?: string | undefined;
}

/** Workflows queried at once for one ListPending page (two queries each: state and input). */
export const LIST_QUERY_CONCURRENCY = 16;

export interface ApprovalService {
  /** Starts the approval's workflow (a duplicate is a no-op) and tells it a stop that covers it. */
  start(input: ApprovalInput): Promise<{ started: boolean }>;
  get(actionId: string): Promise<ApprovalView>;
  /** The view with the input it was started with (request, requirement, matched rules) for Get. */
  details(actionId: string): Promise<{ view: ApprovalView; input?: ApprovalInput | undefined }>;
  listPending(
    caller: ApprovalActor,
    filter: OpenFilter & { mine: boolean },
    page: { size: number; token?: string | undefined },
  ): Promise<PendingPage>;
  /** The voter is the verified caller; a refusal is published, then thrown (VoteRefusedError). */
  decide(voter: ApprovalActor, actionId: string, vote: Omit<VoteInput, "voter">): Promise<ApprovalView>;
  /** The agent's single use; refused (and published) while the stop state is unknown or covers it. */
  consume(agentId: string, actionId: string, requestDigest: string): Promise<ConsumeAnswer>;
  /** Sends the current stop state to every open approval when it changed (or `force`); returns how many. */
  forwardStop(options?: { force?: boolean }): Promise<number>;
}

/** Whether `caller` may vote at the approval's current level (a hint for `mine`; the workflow decides). */
function mayVoteNow(view: ApprovalView, caller: ApprovalActor): boolean {
  if (caller.type !== "human") return false;
  if (view.votes.some((v) => v.voter.id === caller.id)) return false;
  if (view.delegates.includes(caller.id)) return true;
  return view.currentRoles.length === 0 || caller.roles.some((r) => view.currentRoles.includes(r));
}

export function createApprovalService(deps: {
  workflows: ApprovalWorkflows;
  events: ApprovalEvents;
  stop: StopStateReader;
  bundle: ActiveBundle;
  log?: { warn(obj: object, msg: string): void };
}): ApprovalService {
  const { workflows, events, stop, bundle } = deps;
  let lastEpoch = 0;
  let forwardedKey: string | undefined;

  const epochOf = (view: StopView): number => {
    if (view.kind !== "unknown") lastEpoch = Math.max(lastEpoch, view.epoch);
    return lastEpoch;
  };

  const signalOne = async (approval: OpenApproval, view: StopView): Promise<void> => {
    await workflows.signalStop(approval.actionId, stopFor(view, approval, epochOf(view)));
  };

  const refuseConsume = async (
    agentId: string,
    actionId: string,
    refusal: ConsumeRefusal,
    message: string,
    approval?: ApprovalView,
  ): Promise<ConsumeAnswer> => {
    await events.refused({
      actionId,
      agentId,
      attempt: "consume",
      actor: { type: "ai_agent", id: agentId, roles: [] },
      code: refusal,
      message,
    });
    return { consumed: false, refusal, message, approval };
  };

  return {
    async start(input) {
      const result = await workflows.start(input);
      const view = stop.current();
      const signal = stopFor(view, input, epochOf(view));
      // A stop in force before this approval existed: the forwarder only sends changes.
      if (signal.state === "stopped") await workflows.signalStop(input.actionId, signal);
      return result;
    },

    async get(actionId) {
      const view = await workflows.view(actionId);
      if (view === undefined) throw new ApprovalNotFoundError(`no approval for action ${actionId}`);
      return view;
    },

    async details(actionId) {
      const [view, input] = await Promise.all([workflows.view(actionId), workflows.input(actionId)]);
      if (view === undefined) throw new ApprovalNotFoundError(`no approval for action ${actionId}`);
      return { view, input };
    },

    async listPending(caller, filter, page) {
      const listed = await workflows.listOpen(filter, page);
      // Each row carries what Get does; at most LIST_QUERY_CONCURRENCY workflows are asked at once.
      const limit = pLimit(LIST_QUERY_CONCURRENCY);
      const rows = await Promise.all(
        listed.approvals.map((a) =>
          limit(async (): Promise<PendingApproval | undefined> => {
            const view = await workflows.view(a.actionId);
            // Visibility lags: a row that resolved since the list is left out without a second query.
            if (view === undefined || (view.status !== "pending" && view.status !== "frozen"))
              return undefined;
            if (filter.mine && !mayVoteNow(view, caller)) return undefined;
            return { view, input: await workflows.input(a.actionId) };
          }),
        ),
      );
      const approvals = rows.filter((r): r is PendingApproval => r !== undefined);
      return { approvals, nextPageToken: listed.nextPageToken };
    },

    async decide(voter, actionId, vote) {
      try {
        return await workflows.vote(actionId, { ...vote, voter });
      } catch (err) {
        if (err instanceof VoteRefusedError || err instanceof ApprovalNotFoundError) {
          const view = err instanceof ApprovalNotFoundError ? undefined : await workflows.view(actionId);
          await events.refused({
            actionId,
            agentId: view?.agentId ?? "",
            attempt: "vote",
            actor: { type: voter.type, id: voter.id, roles: voter.roles },
            code: err instanceof VoteRefusedError ? err.code : "not_found",
            message: err.message,
            decision: vote.decision,
          });
        }
        throw err;
      }
    },

    async consume(agentId, actionId, requestDigest) {
      const view = stop.current();
      if (view.kind === "unknown") {
        return refuseConsume(
          agentId,
          actionId,
          "frozen",
          `the emergency-stop state is unknown (${view.reason}): nothing is consumed until it is confirmed`,
        );
      }
      let digest = bundle.digest();
      let approval: ApprovalView | undefined;
      if (digest === undefined) {
        // No bundle event seen since start (and none in the stream): the decision-time digest stands.
        approval = await workflows.view(actionId);
        if (approval === undefined)
          return refuseConsume(agentId, actionId, "not_found", `no approval for action ${actionId}`);
        digest = approval.bundleDigest;
      }
      const result = await workflows.consume(actionId, {
        agentId,
        requestDigest,
        bundleDigest: digest,
        killswitchEpoch: epochOf(view),
      });
      if (result === undefined) {
        // No open workflow takes the update; a closed one still answers its state.
        const closed = approval ?? (await workflows.view(actionId));
        if (closed === undefined)
          return refuseConsume(agentId, actionId, "not_found", `no approval for action ${actionId}`);
        if (closed.agentId !== agentId)
          return refuseConsume(agentId, actionId, "wrong_agent", `the approval is not ${agentId}'s`, closed);
        return closed.consumed
          ? refuseConsume(agentId, actionId, "already_consumed", "the approval was already used", closed)
          : refuseConsume(
              agentId,
              actionId,
              closed.status === "approved" ? "expired" : "not_approved",
              `the approval is ${closed.status} and closed`,
              closed,
            );
      }
      if (!result.consumed) {
        return refuseConsume(
          agentId,
          actionId,
          result.refusal ?? "not_approved",
          result.message,
          result.approval,
        );
      }
      return result;
    },

    async forwardStop(options = {}) {
      const view = stop.current();
      const key = stopViewKey(view);
      if (options.force !== true && key === forwardedKey) return 0;
      let sent = 0;
      let token: string | undefined;
      do {
        const page = await workflows.listOpen({}, { size: 500, token });
        for (const approval of page.approvals) {
          try {
            await signalOne(approval, view);
            sent++;
          } catch (err) {
            deps.log?.warn({ err, actionId: approval.actionId }, "could not signal the stop state");
          }
        }
        token = page.nextPageToken;
      } while (token !== undefined);
      forwardedKey = key;
      return sent;
    },
  };
}
