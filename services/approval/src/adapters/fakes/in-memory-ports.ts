// In-memory fakes of the approval service's ports, for unit tests of the app layer. The workflow
// fake keeps the views it was given and records what it was sent; it holds no vote rules.
import type {
  ApprovalEvents,
  ApprovalRefusal,
  ApprovalWorkflows,
  OpenApproval,
  StopStateReader,
  StopView,
} from "../../app/ports.ts";
import { VoteRefusedError } from "../../app/ports.ts";
import type {
  ApprovalInput,
  ApprovalView,
  ConsumeInput,
  ConsumeResult,
  StopSignal,
  VoteInput,
} from "../../workflows/contract.ts";

export interface InMemoryWorkflows extends ApprovalWorkflows {
  readonly started: ApprovalInput[];
  readonly signals: { actionId: string; signal: StopSignal }[];
  readonly consumes: { actionId: string; input: ConsumeInput }[];
  readonly votes: { actionId: string; vote: VoteInput }[];
  /** The next vote on `actionId` is refused with this code. */
  refuseNextVote(actionId: string, code: string, message: string): void;
  /** The next stop signal to `actionId` fails (Temporal unreachable for it). */
  failNextSignal(actionId: string): void;
}

export function viewOf(input: ApprovalInput): ApprovalView {
  return {
    actionId: input.actionId,
    agentId: input.agentId,
    status: "pending",
    requestDigest: input.requestDigest,
    bundleDigest: input.bundleDigest,
    killswitchEpoch: input.killswitchEpoch,
    votes: [],
    recommendations: [],
    escalationLevel: 0,
    currentRoles: input.definition.eligibleRoles,
    delegates: [],
    createdAt: input.createdAt,
    consumed: false,
    breakGlass: false,
    approvals: 0,
    required: input.definition.minApprovers,
    missingRoles: [],
  };
}

/** Runs `fn` as a port call would: asynchronously, errors as rejections. */
const later = <T>(fn: () => T): Promise<T> => Promise.resolve().then(fn);

export function createInMemoryWorkflows(): InMemoryWorkflows {
  const views = new Map<string, { input: ApprovalInput; view: ApprovalView }>();
  const refusals = new Map<string, { code: string; message: string }>();
  const started: ApprovalInput[] = [];
  const signals: { actionId: string; signal: StopSignal }[] = [];
  const consumes: { actionId: string; input: ConsumeInput }[] = [];
  const votes: { actionId: string; vote: VoteInput }[] = [];
  const failingSignals = new Set<string>();
  return {
    failNextSignal(actionId) {
      failingSignals.add(actionId);
    },
    started,
    signals,
    consumes,
    votes,
    refuseNextVote(actionId, code, message) {
      refusals.set(actionId, { code, message });
    },
    start(input) {
      return later(() => {
        if (views.has(input.actionId)) return { started: false };
        started.push(input);
        views.set(input.actionId, { input, view: viewOf(input) });
        return { started: true };
      });
    },
    input(actionId) {
      return later(() => views.get(actionId)?.input);
    },
    view(actionId) {
      return later(() => {
        return views.get(actionId)?.view;
      });
    },
    listOpen(filter, page) {
      return later(() => {
        const open: OpenApproval[] = [...views.values()]
          .filter(({ view }) => view.status === "pending" || view.status === "frozen")
          .filter(({ input }) => filter.agentId === undefined || input.agentId === filter.agentId)
          .filter(({ input }) => filter.environment === undefined || input.environment === filter.environment)
          .filter(({ input }) => filter.risk === undefined || input.risk === filter.risk)
          .map(({ input }) => ({
            actionId: input.actionId,
            agentId: input.agentId,
            environment: input.environment,
          }));
        const from = page.token === undefined ? 0 : Number(page.token);
        const next = from + page.size;
        return {
          approvals: open.slice(from, next),
          nextPageToken: next < open.length ? String(next) : undefined,
        };
      });
    },
    vote(actionId, vote) {
      return later(() => {
        const entry = views.get(actionId);
        votes.push({ actionId, vote });
        const refusal = refusals.get(actionId);
        if (refusal !== undefined) {
          refusals.delete(actionId);
          throw new VoteRefusedError(refusal.code, refusal.message);
        }
        if (entry === undefined) throw new VoteRefusedError("not_found", "no such approval");
        return entry.view;
      });
    },
    consume(actionId, input): Promise<ConsumeResult | undefined> {
      return later(() => {
        consumes.push({ actionId, input });
        const entry = views.get(actionId);
        if (entry === undefined) return undefined;
        return { consumed: true, message: "consumed", approval: entry.view };
      });
    },
    signalStop(actionId, signal) {
      return later(() => {
        if (failingSignals.delete(actionId)) throw new Error(`signal to ${actionId} failed`);
        signals.push({ actionId, signal });
      });
    },
  };
}

export function createInMemoryEvents(): ApprovalEvents & { readonly refusals: ApprovalRefusal[] } {
  const refusals: ApprovalRefusal[] = [];
  return {
    refusals,
    refused(refusal) {
      return later(() => {
        refusals.push(refusal);
      });
    },
  };
}

export function createFixedStopState(initial: StopView): StopStateReader & { set(view: StopView): void } {
  let view = initial;
  return {
    current: () => view,
    // A fixed view is always wholly applied.
    applied: () => (view.kind === "unknown" ? undefined : view.epoch),
    set(next) {
      view = next;
    },
  };
}
