import type { Outcome } from "./decision.ts";

/**
 * Per-agent usage folded from decisions: a ring of per-second buckets for the sliding minute and
 * per-UTC-day sums (per currency) for the daily budget. Pure: the caller says what happened and
 * when (the decision's evaluation time) and asks as of a time it chooses.
 *
 * What counts: every decision is a request, whatever its outcome; the budget counts the amount of
 * allow and approval_required decisions (an approval may spend it later, so counting it now is the
 * safe side).
 *
 * A decision can reach the ledger twice: once when this replica makes it ("local") and again when
 * it comes back from the stream ("stream"). Each fact carries a key; see {@link UsageFact}.
 */

export const WINDOW_SECONDS = 60;
const DAY_MS = 86_400_000;
/** Amounts are summed in millionths, so 0.1 + 0.2 is exactly 0.3. */
const MICROS = 1_000_000;
/** How long a key is remembered for de-duplication; longer than the stream's 2 min duplicate window. */
const DEFAULT_KEY_TTL_MS = 5 * 60_000;

export interface UsageFact {
  /**
   * De-duplication key. `idempotent`: the key names the decision (e.g. `decision-of-<request event
   * id>`): however often it is folded, it counts once. Otherwise the key only describes it (agent,
   * action id, evaluation time, outcome): each local fold waits for one stream copy, which it absorbs.
   */
  readonly key: string;
  readonly idempotent: boolean;
  /** The agent the decision is about (the authenticated agent). */
  readonly agentId: string;
  readonly outcome: Outcome;
  /** Evaluation time, epoch ms. */
  readonly at: number;
  /** The request's amount, when it has one. */
  readonly amount?: number | undefined;
  /** ISO 4217; absent counts as the profile's currency. */
  readonly currency?: string | undefined;
}

export type FoldSource = "local" | "stream";

/** Whether a decision's amount counts against the daily budget. */
export function spendsBudget(outcome: Outcome): boolean {
  return outcome === "allow" || outcome === "approval_required";
}

export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

export function toMicros(amount: number): number {
  return Math.round(amount * MICROS);
}

interface AgentCounters {
  /** Epoch second each bucket holds (bucket = second mod 60). */
  readonly seconds: Float64Array;
  readonly counts: Uint32Array;
  /** UTC day → currency ("" = none given) → micros. Only recent days are kept. */
  readonly days: Map<number, Map<string, number>>;
  lastAt: number;
}

interface KeyEntry {
  /** Local folds still waiting for their stream copy. */
  pending: number;
  readonly seenAt: number;
}

export interface UsageLedgerOptions {
  /** How long de-duplication keys are remembered (default 5 min). */
  readonly keyTtlMs?: number;
}

export class UsageLedger {
  readonly #agents = new Map<string, AgentCounters>();
  readonly #keys = new Map<string, KeyEntry>();
  readonly #keyTtlMs: number;
  #folded = 0;

  constructor(options: UsageLedgerOptions = {}) {
    this.#keyTtlMs = options.keyTtlMs ?? DEFAULT_KEY_TTL_MS;
  }

  /** Decisions counted so far (after de-duplication). */
  get folded(): number {
    return this.#folded;
  }

  /**
   * Counts a decision unless it was counted already; returns whether it counted. `now` is when the
   * ledger sees it (for forgetting keys), not when it was decided.
   */
  fold(fact: UsageFact, source: FoldSource, now: number): boolean {
    if (!this.#firstSight(fact, source, now)) return false;
    let agent = this.#agents.get(fact.agentId);
    if (agent === undefined) {
      agent = {
        seconds: new Float64Array(WINDOW_SECONDS).fill(Number.NEGATIVE_INFINITY),
        counts: new Uint32Array(WINDOW_SECONDS),
        days: new Map(),
        lastAt: fact.at,
      };
      this.#agents.set(fact.agentId, agent);
    }
    if (fact.at > agent.lastAt) agent.lastAt = fact.at;
    this.#countRequest(agent, Math.floor(fact.at / 1_000));
    if (spendsBudget(fact.outcome) && fact.amount !== undefined && fact.amount > 0) {
      const day = utcDay(fact.at);
      let sums = agent.days.get(day);
      if (sums === undefined) {
        sums = new Map();
        agent.days.set(day, sums);
        for (const d of agent.days.keys()) if (d < day - 1) agent.days.delete(d);
      }
      const currency = fact.currency ?? "";
      sums.set(currency, (sums.get(currency) ?? 0) + toMicros(fact.amount));
    }
    this.#folded++;
    return true;
  }

  #firstSight(fact: UsageFact, source: FoldSource, now: number): boolean {
    const entry = this.#keys.get(fact.key);
    if (fact.idempotent) {
      if (entry !== undefined) {
        if (source === "stream") entry.pending = 0;
        return false;
      }
      this.#keys.set(fact.key, { pending: source === "local" ? 1 : 0, seenAt: now });
      return true;
    }
    if (source === "local") {
      if (entry === undefined) this.#keys.set(fact.key, { pending: 1, seenAt: now });
      else entry.pending++;
      return true;
    }
    if (entry !== undefined && entry.pending > 0) {
      entry.pending--;
      if (entry.pending === 0) this.#keys.delete(fact.key);
      return false;
    }
    return true;
  }

  #countRequest(agent: AgentCounters, second: number): void {
    const i = ((second % WINDOW_SECONDS) + WINDOW_SECONDS) % WINDOW_SECONDS;
    const held = agent.seconds[i] ?? Number.NEGATIVE_INFINITY;
    if (held === second) agent.counts[i] = (agent.counts[i] ?? 0) + 1;
    else if (held < second) {
      agent.seconds[i] = second;
      agent.counts[i] = 1;
    }
    // else: the bucket holds a second at least a minute newer; this one is out of every window.
  }

  /**
   * Decisions for the agent in the sliding last minute as of `now`: the 60 whole seconds ending with
   * the current one. Decisions stamped in the future (another replica's clock ahead) count too.
   */
  requestsLastMinute(agentId: string, now: number): number {
    const agent = this.#agents.get(agentId);
    if (agent === undefined) return 0;
    const oldest = Math.floor(now / 1_000) - WINDOW_SECONDS + 1;
    let total = 0;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      if ((agent.seconds[i] ?? Number.NEGATIVE_INFINITY) >= oldest) total += agent.counts[i] ?? 0;
    }
    return total;
  }

  /**
   * The amount the agent committed on the UTC day of `now`, in `currency` (plus amounts that named
   * no currency); in every currency when `currency` is undefined.
   */
  committedToday(agentId: string, currency: string | undefined, now: number): number {
    const sums = this.#agents.get(agentId)?.days.get(utcDay(now));
    if (sums === undefined) return 0;
    let micros = 0;
    if (currency === undefined) for (const v of sums.values()) micros += v;
    else micros = (sums.get(currency) ?? 0) + (currency === "" ? 0 : (sums.get("") ?? 0));
    return micros / MICROS;
  }

  /** Forgets de-duplication keys older than the TTL and agents idle since before yesterday. */
  prune(now: number): void {
    const keysBefore = now - this.#keyTtlMs;
    for (const [key, entry] of this.#keys) if (entry.seenAt < keysBefore) this.#keys.delete(key);
    const yesterday = utcDay(now) - 1;
    for (const [id, agent] of this.#agents) if (utcDay(agent.lastAt) < yesterday) this.#agents.delete(id);
  }

  /** For tests and metrics. */
  get sizes(): { readonly agents: number; readonly keys: number } {
    return { agents: this.#agents.size, keys: this.#keys.size };
  }
}
