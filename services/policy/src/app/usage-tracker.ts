// Which agents' usage is counted, and from which consumer (ADR 0006). Only agents with a rate limit
// or a daily budget in the active bundle need counting, so the decision stream is read for those
// agents only. The set changes on a bundle reload: a new generation (its own ledger, lease and
// consumer, from the start of the window) is opened for the new set and swapped in once it has
// caught up; until then the old generation keeps answering for the agents it counts, and agents
// only the new set names are `unknown`. With no limited agent there is no consumer at all.
//
// De-duplication across a swap: each generation has its own ledger, and a decision this replica
// makes is folded locally into every generation that counts its agent. A decision made before the
// new generation existed is not in its ledger, so its stream copy counts there; one made after is,
// and its stream copy is absorbed. Either way it counts once.
//
// No NATS here: the consumer is opened through `open` (see nats-usage-view.ts), so the swap logic
// runs against fakes in unit tests.
import type { Logger } from "pino";
import type { UsageFact } from "../domain/usage-ledger.ts";
import { UsageLedger } from "../domain/usage-ledger.ts";
import type { UsageSnapshot } from "../domain/usage.ts";

export type FeedState =
  { readonly state: "confirmed" } | { readonly state: "unknown"; readonly reason: string };

const CONFIRMED: FeedState = Object.freeze({ state: "confirmed" });

/**
 * Whether the folded count can be trusted: caught up once (nothing pending), then kept alive by
 * signs of life within the lease. Pure; exported for unit tests.
 */
export class UsageFeed {
  readonly #leaseMs: number;
  readonly #now: () => number;
  #caughtUp = false;
  #behind = "not caught up yet";
  #aliveAt = Number.NEGATIVE_INFINITY;
  readonly #waiting: (() => void)[] = [];

  constructor(leaseMs: number, now: () => number) {
    this.#leaseMs = leaseMs;
    this.#now = now;
  }

  get isCaughtUp(): boolean {
    return this.#caughtUp;
  }

  /** The stream answered (a message, a heartbeat, an expired pull, consumer info). */
  alive(): void {
    this.#aliveAt = this.#now();
  }

  /** Nothing is pending: every decision in the stream so far is folded. */
  caughtUp(): void {
    this.#aliveAt = this.#now();
    if (this.#caughtUp) return;
    this.#caughtUp = true;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  /** The consumer was recreated or lost messages: catch up again before trusting the count. */
  fellBehind(reason: string): void {
    this.#caughtUp = false;
    this.#behind = reason;
  }

  state(): FeedState {
    if (!this.#caughtUp) return { state: "unknown", reason: `decision stream ${this.#behind}` };
    if (this.#now() - this.#aliveAt > this.#leaseMs)
      return { state: "unknown", reason: `decision stream not confirmed for ${this.#leaseMs} ms` };
    return CONFIRMED;
  }

  /** Resolves once caught up (at once if already). */
  whenCaughtUp(): Promise<void> {
    if (this.#caughtUp) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

/** Where a consumer folds what it reads, and reports whether it has caught up. */
export interface FeedTarget {
  readonly ledger: UsageLedger;
  readonly feed: UsageFeed;
}

export interface FeedSubscription {
  /** Stops reading; resolves once nothing more is folded. */
  close(): Promise<void>;
}

/**
 * Opens a consumer of the decisions about `agentIds` (non-empty, sorted) from the start of the
 * usage window, folding into `into`; rejects if it cannot be created (nothing folded then).
 */
export type OpenFeed = (agentIds: readonly string[], into: FeedTarget) => Promise<FeedSubscription>;

export interface UsageTrackerOptions {
  readonly open: OpenFeed;
  readonly log: Logger;
  readonly leaseMs: number;
  readonly now: () => number;
  /** Delay before retrying a consumer that could not be created (default 1 s). */
  readonly retryMs?: number;
}

interface Generation {
  readonly agents: ReadonlySet<string>;
  readonly ids: readonly string[];
  /** The sorted ids joined: equal keys, equal sets. */
  readonly key: string;
  readonly ledger: UsageLedger;
  readonly feed: UsageFeed;
  readonly openedAt: number;
  subscription: FeedSubscription | undefined;
  retry: NodeJS.Timeout | undefined;
  abandoned: boolean;
}

const NOT_COUNTED: UsageSnapshot = Object.freeze({
  state: "unknown",
  reason: "usage of an agent without a rate limit or daily budget is not counted",
});
const CATCHING_UP: UsageSnapshot = Object.freeze({
  state: "unknown",
  reason: "decision stream not caught up yet with the bundle that limits the agent",
});
const NOT_STARTED: { readonly state: "unknown"; readonly reason: string } = Object.freeze({
  state: "unknown",
  reason: "decision stream not caught up yet",
});

/** The generations of usage counting: the active one, and the one catching up for a new set. */
export class UsageTracker {
  readonly #open: OpenFeed;
  readonly #log: Logger;
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #retryMs: number;
  #current: Generation | undefined;
  #next: Generation | undefined;
  #closed = false;
  readonly #closing = new Set<Promise<void>>();
  readonly #settled: (() => void)[] = [];

  constructor(options: UsageTrackerOptions) {
    this.#open = options.open;
    this.#log = options.log;
    this.#leaseMs = options.leaseMs;
    this.#now = options.now;
    this.#retryMs = options.retryMs ?? 1_000;
  }

  /** Counts the usage of exactly these agents from now on (see UsageView.track). */
  track(agentIds: readonly string[]): void {
    if (this.#closed) return;
    const ids = [...new Set(agentIds)].sort();
    const key = ids.join("\n");
    if ((this.#next ?? this.#current)?.key === key) return;
    if (this.#next !== undefined) {
      this.#abandon(this.#next);
      this.#next = undefined;
    }
    if (this.#current?.key === key) {
      // Back to the set the active generation counts: nothing to wait for.
      this.#settle();
      return;
    }
    const generation: Generation = {
      agents: new Set(ids),
      ids,
      key,
      ledger: new UsageLedger(),
      feed: new UsageFeed(this.#leaseMs, this.#now),
      openedAt: this.#now(),
      subscription: undefined,
      retry: undefined,
      abandoned: false,
    };
    if (ids.length === 0) {
      // No agent can be denied for its usage: nothing to read, nothing to confirm.
      generation.feed.caughtUp();
      this.#swap(generation);
      return;
    }
    this.#next = generation;
    void generation.feed.whenCaughtUp().then(() => {
      if (this.#next === generation) this.#swap(generation);
    });
    this.#start(generation);
  }

  #start(generation: Generation): void {
    this.#open(generation.ids, { ledger: generation.ledger, feed: generation.feed }).then(
      (subscription) => {
        if (generation.abandoned) this.#closeQuietly(subscription);
        else generation.subscription = subscription;
      },
      (err: unknown) => {
        if (generation.abandoned) return;
        this.#log.error(
          { err, agents: generation.ids, retryMs: this.#retryMs },
          "decision stream consumer could not be created; retrying",
        );
        generation.retry = setTimeout(() => {
          generation.retry = undefined;
          if (!generation.abandoned) this.#start(generation);
        }, this.#retryMs);
        generation.retry.unref();
      },
    );
  }

  #swap(generation: Generation): void {
    const previous = this.#current;
    this.#current = generation;
    if (this.#next === generation) this.#next = undefined;
    if (previous !== undefined) this.#abandon(previous);
    this.#log.info(
      {
        agents: generation.ids,
        decisions: generation.ledger.folded,
        ms: this.#now() - generation.openedAt,
      },
      generation.ids.length === 0
        ? "no agent with a rate limit or daily budget: usage not counted"
        : "usage caught up with the decision stream",
    );
    this.#settle();
  }

  #settle(): void {
    if (this.#next !== undefined || this.#current === undefined) return;
    for (const resolve of this.#settled.splice(0)) resolve();
  }

  #abandon(generation: Generation): void {
    generation.abandoned = true;
    clearTimeout(generation.retry);
    generation.retry = undefined;
    if (generation.subscription !== undefined) this.#closeQuietly(generation.subscription);
    generation.subscription = undefined;
  }

  #closeQuietly(subscription: FeedSubscription): void {
    const closing = subscription
      .close()
      .catch((err: unknown) => this.#log.warn({ err }, "closing a decision stream consumer failed"))
      .finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  /** The agent's usage: from the active generation if it counts the agent, else unknown. */
  current(agentId: string, currency: string | undefined, at: number): UsageSnapshot {
    const generation = this.#current;
    if (generation === undefined || !generation.agents.has(agentId)) {
      if (this.#next?.agents.has(agentId) !== true) return NOT_COUNTED;
      return generation === undefined ? NOT_STARTED : CATCHING_UP;
    }
    const state = generation.feed.state();
    if (state.state === "unknown") return state;
    return {
      state: "confirmed",
      requestsLastMinute: generation.ledger.requestsLastMinute(agentId, at),
      committedToday: generation.ledger.committedToday(agentId, currency, at),
    };
  }

  /** Whether a decision about the agent is counted (by the active or the catching-up generation). */
  counts(agentId: string): boolean {
    return this.#current?.agents.has(agentId) === true || this.#next?.agents.has(agentId) === true;
  }

  /** Folds a decision this replica made into every generation that counts its agent. */
  foldLocal(fact: UsageFact): void {
    const now = this.#now();
    if (this.#current?.agents.has(fact.agentId) === true) this.#current.ledger.fold(fact, "local", now);
    if (this.#next?.agents.has(fact.agentId) === true) this.#next.ledger.fold(fact, "local", now);
  }

  /** The active generation's state (for /healthz); confirmed when it counts no agent. */
  status(): FeedState {
    return this.#current?.feed.state() ?? NOT_STARTED;
  }

  /** The agents the active generation counts. */
  agents(): readonly string[] {
    return this.#current?.ids ?? [];
  }

  /** The agents a generation still catching up will count, if there is one. */
  pendingAgents(): readonly string[] | undefined {
    return this.#next?.ids;
  }

  /** Decisions counted by the active generation (after de-duplication). */
  folded(): number {
    return this.#current?.ledger.folded ?? 0;
  }

  /**
   * Resolves true once the latest tracked set is the active one (caught up), or false after
   * `timeoutMs` (limited agents are then denied until it catches up).
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    if (this.#next === undefined && this.#current !== undefined) return true;
    let timeout: NodeJS.Timeout | undefined;
    let settled: (() => void) | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => {
        settled = () => resolve(true);
        this.#settled.push(settled);
      }),
      new Promise<boolean>((resolve) => {
        timeout = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timeout);
    const waiting = settled === undefined ? -1 : this.#settled.indexOf(settled);
    if (waiting >= 0) this.#settled.splice(waiting, 1);
    return done;
  }

  /** Forgets old de-duplication keys and idle agents in every live ledger. */
  prune(now: number): void {
    this.#current?.ledger.prune(now);
    this.#next?.ledger.prune(now);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const generation of [this.#next, this.#current])
      if (generation !== undefined) this.#abandon(generation);
    this.#next = undefined;
    this.#current = undefined;
    await Promise.all([...this.#closing]);
  }
}
