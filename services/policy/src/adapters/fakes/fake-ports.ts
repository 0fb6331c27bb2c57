// In-memory fakes of the policy service's ports, for unit tests.
import type { ActionRequest } from "../../domain/action-request.ts";
import type { Decision } from "../../domain/decision.ts";
import { STOP_CLEAR } from "../../domain/stop-state.ts";
import type { StopState } from "../../domain/stop-state.ts";
import { UsageLedger } from "../../domain/usage-ledger.ts";
import type { UsageSnapshot } from "../../domain/usage.ts";
import type {
  BundleActivation,
  BundleEvents,
  BundleRejection,
  DecisionSink,
  RequestOrigin,
  StopStateReader,
  UsageView,
} from "../../app/ports.ts";

export class FakeStopState implements StopStateReader {
  state: StopState = STOP_CLEAR;
  current(): StopState {
    return this.state;
  }
}

/**
 * Records decisions like the NATS sink (the contract in src/testing/decision-sink-contract.ts): the
 * answer to one request event is recorded once, however often it is re-delivered.
 */
export class FakeDecisionSink implements DecisionSink {
  readonly decisions: {
    decision: Decision;
    request: ActionRequest;
    origin: RequestOrigin;
    stop: StopState;
  }[] = [];
  failNext: Error | undefined;
  readonly #answered = new Set<string>();
  decided(decision: Decision, request: ActionRequest, origin: RequestOrigin, stop: StopState): Promise<void> {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure !== undefined) return Promise.reject(failure);
    if (origin.requestEventId !== undefined) {
      if (this.#answered.has(origin.requestEventId)) return Promise.resolve();
      this.#answered.add(origin.requestEventId);
    }
    this.decisions.push({ decision, request, origin, stop });
    return Promise.resolve();
  }
}

export class FakeBundleEvents implements BundleEvents {
  readonly activations: BundleActivation[] = [];
  readonly rejections: BundleRejection[] = [];
  activated(event: BundleActivation): Promise<void> {
    this.activations.push(event);
    return Promise.resolve();
  }
  rejected(event: BundleRejection): Promise<void> {
    this.rejections.push(event);
    return Promise.resolve();
  }
}

/**
 * Usage kept in a {@link UsageLedger} in memory: the decisions this "replica" makes, plus any the test
 * folds in as if from other replicas (`ledger.fold(fact, "stream", now)`). `unknown` makes every read
 * unknown (a stalled or not yet caught-up stream).
 */
export class FakeUsageView implements UsageView {
  readonly ledger = new UsageLedger();
  /** Set to make the usage unconfirmed. */
  unknown: string | undefined;
  readonly reads: { agentId: string; currency: string | undefined; now: number }[] = [];
  /** Each `track` call: the limited agents of each activated bundle. */
  readonly tracked: (readonly string[])[] = [];
  #seq = 0;

  track(agentIds: readonly string[]): void {
    this.tracked.push(agentIds);
  }

  current(agentId: string, currency: string | undefined, now: number): UsageSnapshot {
    this.reads.push({ agentId, currency, now });
    if (this.unknown !== undefined) return { state: "unknown", reason: this.unknown };
    return {
      state: "confirmed",
      requestsLastMinute: this.ledger.requestsLastMinute(agentId, now),
      committedToday: this.ledger.committedToday(agentId, currency, now),
    };
  }

  decided(decision: Decision, request: ActionRequest, origin: RequestOrigin): void {
    const at = Date.parse(decision.evaluatedAt);
    this.ledger.fold(
      {
        key: origin.requestEventId ?? `local-${++this.#seq}`,
        idempotent: origin.requestEventId !== undefined,
        agentId: decision.agentId,
        outcome: decision.outcome,
        at,
        amount: request.amount,
        currency: request.currency,
      },
      "local",
      at,
    );
  }
}

/**
 * A sink whose acks the test releases one by one, like a stream that acknowledges each record on
 * its own: `decided` stays pending until `ack(actionId)` or `fail(actionId, err)`. `log` records
 * "written:<id>" when a record reaches the sink, "acked:<id>" / "failed:<id>" as it settles, and a
 * test appends "answered:<id>" when the caller gets its answer, so order can be checked.
 */
export class GatedDecisionSink implements DecisionSink {
  readonly log: string[] = [];
  readonly #gates = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  decided(
    decision: Decision,
    _request?: ActionRequest,
    _origin?: RequestOrigin,
    _stop?: StopState,
  ): Promise<void> {
    const id = decision.actionId;
    this.log.push(`written:${id}`);
    return new Promise<void>((resolve, reject) => {
      this.#gates.set(id, { resolve, reject });
    });
  }
  /** Record ids written and not yet settled, oldest first. */
  get open(): string[] {
    return [...this.#gates.keys()];
  }
  ack(actionId: string): void {
    const gate = this.#take(actionId);
    this.log.push(`acked:${actionId}`);
    gate.resolve();
  }
  fail(actionId: string, err: Error): void {
    const gate = this.#take(actionId);
    this.log.push(`failed:${actionId}`);
    gate.reject(err);
  }
  #take(actionId: string): { resolve: () => void; reject: (err: Error) => void } {
    const gate = this.#gates.get(actionId);
    if (gate === undefined) throw new Error(`no record of ${actionId} is waiting for its ack`);
    this.#gates.delete(actionId);
    return gate;
  }
}
