// The policy service's outbound ports. Each has a NATS adapter (src/adapters/nats) and an in-memory
// fake (src/adapters/fakes) so the use cases run in unit tests without a server.
import type { Decision } from "../domain/decision.ts";
import type { ActionRequest } from "../domain/action-request.ts";
import type { BundleIssue } from "../domain/bundle-error.ts";
import type { StopState } from "../domain/stop-state.ts";

/** The emergency-stop state as last confirmed; "unknown" when it cannot be confirmed. */
export interface StopStateReader {
  current(): StopState;
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
