// UsageView over the decisions every replica already publishes (warden.decision.<outcome>.<agent> in
// WARDEN_EVENTS): an ordered, ephemeral JetStream consumer reads them from the start of the current
// UTC day and folds each into a UsageLedger, so all replicas share one count (ADR 0006). The replica
// also counts its own decisions the moment it makes them; their copies from the stream are then
// recognised and skipped.
//
// Like the kill-switch state, the count is a lease: it is `confirmed` only once the consumer has
// caught up (nothing pending) and while the stream keeps showing signs of life (messages, idle
// heartbeats, answered pulls, consumer info) within the lease; otherwise `unknown`, which denies
// agents that have a rate or budget limit.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { nanos } from "@nats-io/transport-node";
import type { Topology } from "@warden/messaging";
import { DEFAULT_MAX_EVENT_BYTES, Money, Outcome, events, parseJsonBytes } from "@warden/messaging";
import type { Logger } from "pino";
import { z } from "zod";
import type { RequestOrigin, UsageView } from "../../app/ports.ts";
import type { ActionRequest } from "../../domain/action-request.ts";
import type { Decision } from "../../domain/decision.ts";
import type { UsageFact } from "../../domain/usage-ledger.ts";
import { UsageLedger, utcDay } from "../../domain/usage-ledger.ts";
import type { UsageSnapshot } from "../../domain/usage.ts";
import { amountFromWire, outcomeFromWire } from "../../transport/wire.ts";

const DAY_MS = 86_400_000;
/** Read this much before the window too, for replicas whose clocks run behind the server's. */
const SKEW_MARGIN_MS = 60_000;
const PRUNE_EVERY_MS = 60_000;
/** Id prefix of a decision that answers an action.requested event (see nats-decision-sink.ts). */
const ANSWER_PREFIX = "decision-of-";

/** The id the decision sink gives the decision answering request event `requestEventId`. */
export function decisionEventId(requestEventId: string): string {
  return `${ANSWER_PREFIX}${requestEventId}`;
}

/**
 * The key of a decision whose event id is generated at publish time (RPC and gRPC decisions): what
 * both this replica and the stream copy know about it.
 */
function describingKey(agentId: string, actionId: string, evaluatedAt: string, outcome: string): string {
  return `${agentId}\u0000${actionId}\u0000${evaluatedAt}\u0000${outcome}`;
}

/**
 * The first decision to read for a ledger that starts at `now`: the start of the current UTC day
 * (the budget), or a minute ago if that is earlier (the rate window just after midnight), less a
 * minute for clock skew.
 */
export function usageWindowStart(now: number): number {
  return Math.min(utcDay(now) * DAY_MS, now - 60_000) - SKEW_MARGIN_MS;
}

/** The fields of a warden.decision.made event the count needs; the rest is not validated here. */
const DecisionUsageEvent = z.object({
  id: z.string().min(1),
  type: z.literal(events.decisionMade.type),
  data: z.object({
    actionId: z.string().min(1),
    agentId: z.string().min(1),
    outcome: Outcome,
    evaluatedAt: z.iso.datetime({ offset: true }),
    request: z.object({ amount: Money.optional() }).optional(),
  }),
});
type DecisionUsageEvent = z.output<typeof DecisionUsageEvent>;

/** A decision event as a ledger fact; exported for unit tests. */
export function usageFactOfEvent(event: DecisionUsageEvent): UsageFact {
  const d = event.data;
  const outcome = outcomeFromWire(d.outcome);
  const idempotent = event.id.startsWith(ANSWER_PREFIX);
  const amount = d.request?.amount;
  return {
    key: idempotent ? event.id : describingKey(d.agentId, d.actionId, d.evaluatedAt, outcome),
    idempotent,
    agentId: d.agentId,
    outcome,
    at: Date.parse(d.evaluatedAt),
    ...(amount !== undefined && { amount: amountFromWire(amount), currency: amount.currencyCode }),
  };
}

/** A decision this replica has just made, as a ledger fact with the key its stream copy will have. */
export function usageFactOfDecision(
  decision: Decision,
  request: ActionRequest,
  origin: RequestOrigin,
): UsageFact {
  const answer = origin.requestEventId;
  return {
    key:
      answer !== undefined
        ? decisionEventId(answer)
        : describingKey(decision.agentId, decision.actionId, decision.evaluatedAt, decision.outcome),
    idempotent: answer !== undefined,
    agentId: decision.agentId,
    outcome: decision.outcome,
    at: Date.parse(decision.evaluatedAt),
    amount: request.amount,
    currency: request.currency,
  };
}

/** Parses a message of the decision stream; throws InvalidMessageError for anything else. */
export function parseDecisionUsage(bytes: Uint8Array): DecisionUsageEvent {
  return parseJsonBytes(bytes, DecisionUsageEvent, DEFAULT_MAX_EVENT_BYTES);
}

/**
 * The stream sequence of the first message at or after `from`. The ordered consumer is started from
 * this sequence rather than from the time: after a reconnect nats.js recreates an ordered consumer
 * from its configuration plus a start sequence, and a configuration that also carries
 * `opt_start_time` is refused, so the consumer would never come back (measured with nats.js 3.4).
 */
async function startSequence(nc: NatsConnection, topology: Topology, from: number): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const probe = await jsm.consumers.add(topology.streams.events, {
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(from).toISOString(),
    filter_subjects: [topology.subjects.decisionAll],
    ack_policy: AckPolicy.None,
    mem_storage: true,
    inactive_threshold: nanos(60_000),
  });
  await jsm.consumers.delete(topology.streams.events, probe.name).catch(() => undefined);
  // A consumer starting at sequence S reports S - 1 as delivered.
  return probe.delivered.stream_seq + 1;
}

export type FeedState =
  { readonly state: "confirmed" } | { readonly state: "unknown"; readonly reason: string };

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
    return { state: "confirmed" };
  }

  /** Resolves once caught up (at once if already). */
  whenCaughtUp(): Promise<void> {
    if (this.#caughtUp) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

export interface UsageWatcher extends UsageView {
  /** Whether the shared count is confirmed (for /healthz). */
  status(): FeedState;
  /** Decisions counted so far, after de-duplication. */
  folded(): number;
  close(): Promise<void>;
}

export interface WatchUsageOptions {
  readonly log: Logger;
  /** How long the count stays confirmed without a sign of life from the stream (default 5 s). */
  readonly leaseMs?: number;
  /** How long start-up waits to catch up before serving with an unknown count (default 30 s). */
  readonly catchUpTimeoutMs?: number;
  readonly now?: () => number;
}

/**
 * Starts following the decisions; resolves once caught up, or after `catchUpTimeoutMs` with the
 * count still unknown (limited agents are then denied until it catches up).
 */
export async function watchUsage(
  nc: NatsConnection,
  topology: Topology,
  options: WatchUsageOptions,
): Promise<UsageWatcher> {
  const leaseMs = options.leaseMs ?? 5_000;
  const now = options.now ?? Date.now;
  const log = options.log.child({ component: "usage" });
  const ledger = new UsageLedger();
  const feed = new UsageFeed(leaseMs, now);
  const started = now();
  const from = usageWindowStart(started);
  let closed = false;
  // The last message folded: its consumer (ordered consumers are recreated under new names) and
  // delivery sequence, to tell whether everything delivered has been folded.
  let lastConsumer = "";
  let lastDelivery = 0;
  let invalid = 0;

  const consumer: Consumer = await jetstream(nc).consumers.get(topology.streams.events, {
    filter_subjects: [topology.subjects.decisionAll],
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: await startSequence(nc, topology, from),
  });
  // Idle heartbeats well inside the lease; a pull expires (and is answered) every two of them.
  const heartbeatMs = Math.max(500, Math.floor(leaseMs / 5));
  const messages: ConsumerMessages = await consumer.consume({
    max_messages: 500,
    idle_heartbeat: heartbeatMs,
    expires: Math.max(1_000, 2 * heartbeatMs),
  });

  const fold = (msg: JsMsg): void => {
    lastConsumer = msg.info.consumer;
    lastDelivery = msg.info.deliverySequence;
    try {
      ledger.fold(usageFactOfEvent(parseDecisionUsage(msg.data)), "stream", now());
    } catch (err) {
      // Not a decision this service published (or a malformed one): it cannot be attributed.
      if (invalid++ % 1_000 === 0)
        log.warn({ err, subject: msg.subject, seq: msg.seq }, "unreadable decision event skipped");
    }
    if (msg.info.pending === 0) feed.caughtUp();
    else feed.alive();
  };
  const reading = (async () => {
    for await (const msg of messages) fold(msg);
  })().catch((err: unknown) => {
    if (!closed) log.error({ err }, "decision stream consumer ended; usage unknown from now on");
  });
  const watching = (async () => {
    for await (const s of messages.status()) {
      switch (s.type) {
        case "heartbeat":
        case "discard":
          feed.alive();
          break;
        case "debug":
          if (s.code === 408) feed.alive();
          break;
        case "reset":
        case "ordered_consumer_recreated":
          feed.fellBehind(`consumer recreated (${s.type})`);
          break;
        case "heartbeats_missed":
        case "consumer_not_found":
        case "stream_not_found":
        case "no_responders":
          log.warn({ status: s }, "decision stream consumer trouble");
          break;
        default:
          break;
      }
    }
  })().catch(() => undefined);

  // Catch-up check and re-confirmation: the consumer has nothing pending and this replica has folded
  // everything delivered.
  let checking = false;
  let prunedAt = started;
  const check = async (): Promise<void> => {
    if (checking || closed) return;
    checking = true;
    try {
      const info = await consumer.info();
      const delivered = info.delivered.consumer_seq;
      const allFolded = delivered === 0 || (info.name === lastConsumer && delivered <= lastDelivery);
      if (info.num_pending === 0 && allFolded) feed.caughtUp();
    } catch (err) {
      log.debug({ err }, "decision stream consumer info failed");
    } finally {
      checking = false;
    }
    const t = now();
    if (t - prunedAt >= PRUNE_EVERY_MS) {
      prunedAt = t;
      ledger.prune(t);
    }
  };
  const timer = setInterval(() => void check(), Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref();
  await check();

  const timeoutMs = options.catchUpTimeoutMs ?? 30_000;
  let timeout: NodeJS.Timeout | undefined;
  const caughtUp = await Promise.race([
    feed.whenCaughtUp().then(() => true),
    new Promise<boolean>((resolve) => {
      timeout = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timeout);
  if (caughtUp)
    log.info(
      { from: new Date(from).toISOString(), decisions: ledger.folded, ms: now() - started },
      "usage caught up with the decision stream",
    );
  else
    log.warn(
      { timeoutMs, decisions: ledger.folded },
      "usage not caught up yet; limited agents are denied until it is",
    );

  return {
    current(agentId: string, currency: string | undefined, at: number): UsageSnapshot {
      const state = feed.state();
      if (state.state === "unknown") return state;
      return {
        state: "confirmed",
        requestsLastMinute: ledger.requestsLastMinute(agentId, at),
        committedToday: ledger.committedToday(agentId, currency, at),
      };
    },
    decided(decision, request, origin) {
      ledger.fold(usageFactOfDecision(decision, request, origin), "local", now());
    },
    status: () => feed.state(),
    folded: () => ledger.folded,
    async close() {
      closed = true;
      clearInterval(timer);
      await messages.close();
      await Promise.all([reading, watching]);
    },
  };
}
