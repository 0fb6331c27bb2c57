// The policy service's outbound ports. Each has a NATS adapter (src/adapters/nats) and an in-memory
// fake (src/adapters/fakes) so the use cases run in unit tests without a server.
import type { Decision } from "../domain/decision.ts";
import type { ActionRequest } from "../domain/action-request.ts";
import type { BundleIssue } from "../domain/bundle-error.ts";
import type { StopState } from "../domain/stop-state.ts";
import type { UsageSnapshot } from "../domain/usage.ts";

/** The emergency-stop state as last confirmed; "unknown" when it cannot be confirmed. */
export interface StopStateReader {
  current(): StopState;
}

/**
 * Each agent's recent usage, shared by every replica (rate and budget limits): decisions in the
 * sliding last 60 s, and the amount committed today (UTC). Read synchronously on the decide path.
 */
export interface UsageView {
  /**
   * The agent's usage as of `now`; amounts in `currency` (the profile's; every currency when
   * undefined). `unknown` while the shared count cannot be confirmed.
   */
  current(agentId: string, currency: string | undefined, now: number): UsageSnapshot;
  /**
   * Counts a decision this replica has just made, before it is recorded, so the replica never lags
   * itself; its copy coming back from the stream is not counted again.
   */
  decided(decision: Decision, request: ActionRequest, origin: RequestOrigin): void;
  /**
   * The agents whose usage decide will read: those with a rate limit or a daily budget in the
   * bundle about to become active (sorted). Called with the first bundle and on every activation,
   * synchronously before the swap. Other agents' usage need not be counted (`current` may answer
   * `unknown` for them: no limit applies); an agent newly in the list is `unknown` until its count
   * has caught up, while agents that were already listed keep their confirmed count.
   */
  track(agentIds: readonly string[]): void;
}

/** A verified caller other than the agent (a gRPC token's principal). */
export interface Caller {
  readonly type: "human" | "ai_agent" | "service";
  readonly id: string;
  readonly roles: readonly string[];
}

/** Who asked, as established by the transport. */
export interface RequestOrigin {
  /** The agent identity from the NATS subject / connection or the gRPC token, never the payload. */
  readonly authenticatedAgentId: string;
  /** The id of the action.requested event this answers, when there is one (de-duplicates re-deliveries). */
  readonly requestEventId?: string;
  readonly traceparent?: string;
  /** The request exactly as received on the wire, recorded with the decision (approvals bind to its digest). */
  readonly wireRequest?: unknown;
  /**
   * Set when someone other than the agent asked (ADR 0009): the decision is a dry run — recorded as
   * one naming this caller, never counted toward the agent's usage, never an approval.
   */
  readonly dryRunBy?: Caller;
}

/** Where decisions go so the audit and the approval service see them (warden.decision.*). */
export interface DecisionSink {
  decided(decision: Decision, request: ActionRequest, origin: RequestOrigin, stop: StopState): Promise<void>;
}

export interface BundleActivation {
  readonly digest: string;
  readonly previousDigest: string | undefined;
  readonly source: string;
  readonly ruleCount: number;
  readonly at: Date;
}

export interface BundleRejection {
  readonly digest: string | undefined;
  readonly activeDigest: string | undefined;
  readonly source: string;
  readonly issues: readonly BundleIssue[];
  readonly at: Date;
}

/** Each bundle swap (or refusal) is itself an event, so the audit shows which bundle decided what. */
export interface BundleEvents {
  activated(event: BundleActivation): Promise<void>;
  rejected(event: BundleRejection): Promise<void>;
}
