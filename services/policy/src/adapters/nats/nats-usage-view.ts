// UsageView over the decisions every replica already publishes (warden.decision.<outcome>.<agent> in
// WARDEN_EVENTS): an ordered, ephemeral JetStream consumer reads the decisions about the agents
// that have a rate limit or a daily budget in the active bundle (one filter subject per agent) from
// the start of the current UTC day and folds each into a UsageLedger, so all replicas share one
// count (ADR 0006). Decisions about other agents are never delivered to the replica. The replica
// also counts its own decisions the moment it makes them; their copies from the stream are then
// recognised and skipped. When a reload changes the set of limited agents, a new consumer replaces
// the old one once it has caught up (usage-tracker.ts).
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
import { utcDay } from "../../domain/usage-ledger.ts";
import { amountFromWire, outcomeFromWire } from "../../wire/wire.ts";
import type { FeedState, FeedSubscription, FeedTarget } from "../../app/usage-tracker.ts";
import { UsageTracker } from "../../app/usage-tracker.ts";

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

export type { FeedState } from "../../app/usage-tracker.ts";

export interface UsageWatcher extends UsageView {
  /** Whether the shared count is confirmed (for /healthz); confirmed when no agent is limited. */
  status(): FeedState;
  /** Decisions counted by the active consumer's ledger, after de-duplication. */
  folded(): number;
  /** Decision messages received from the stream by every consumer so far, before de-duplication. */
  received(): number;
  /** The agents whose usage the active consumer counts. */
  agents(): readonly string[];
  /**
   * Resolves true once the count for the agents last tracked has caught up with the stream, or
   * false after `timeoutMs` (logged; limited agents are denied until it catches up).
   */
  caughtUp(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface WatchUsageOptions {
  readonly log: Logger;
  /** How long the count stays confirmed without a sign of life from the stream (default 5 s). */
  readonly leaseMs?: number;
  readonly now?: () => number;
  /** Delay before retrying a consumer that could not be created (default 1 s). */
  readonly retryMs?: number;
}

interface ConsumerOptions {
  readonly log: Logger;
  readonly leaseMs: number;
  readonly now: () => number;
  /** Called for every message delivered, before it is folded. */
  readonly onMessage: () => void;
}

/**
 * An ordered consumer of the decisions about `agentIds` from the start of the usage window, folding
 * into `into.ledger` and reporting catch-up and signs of life to `into.feed`.
 */
async function openDecisionConsumer(
  nc: NatsConnection,
  topology: Topology,
  agentIds: readonly string[],
  into: FeedTarget,
  options: ConsumerOptions,
): Promise<FeedSubscription> {
  const { ledger, feed } = into;
  const { log, leaseMs, now } = options;
  const from = usageWindowStart(now());
  let closed = false;
  // The last message folded: its consumer (ordered consumers are recreated under new names) and
  // delivery sequence, to tell whether everything delivered has been folded.
  let lastConsumer = "";
  let lastDelivery = 0;
  let invalid = 0;

  const consumer: Consumer = await jetstream(nc).consumers.get(topology.streams.events, {
    filter_subjects: [...new Set(agentIds.map((id) => topology.subjects.decisionsOf(id)))],
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
  log.debug({ agents: agentIds, from: new Date(from).toISOString() }, "decision stream consumer started");

  const fold = (msg: JsMsg): void => {
    options.onMessage();
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
  };
  const timer = setInterval(() => void check(), Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref();
  await check();

  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await messages.close();
      await Promise.all([reading, watching]);
    },
  };
}

/**
 * The usage view of a replica. It reads nothing until `track` names the limited agents (the policy
 * service does so with its first bundle); start-up then waits for `caughtUp` before serving.
 */
export function createUsageWatcher(
  nc: NatsConnection,
  topology: Topology,
  options: WatchUsageOptions,
): UsageWatcher {
  const leaseMs = options.leaseMs ?? 5_000;
  const now = options.now ?? Date.now;
  const log = options.log.child({ component: "usage" });
  let received = 0;
  const onMessage = (): void => {
    received++;
  };
  const tracker = new UsageTracker({
    open: (agentIds, into) =>
      openDecisionConsumer(nc, topology, agentIds, into, { log, leaseMs, now, onMessage }),
    log,
    leaseMs,
    now,
    ...(options.retryMs !== undefined && { retryMs: options.retryMs }),
  });
  const pruning = setInterval(() => tracker.prune(now()), PRUNE_EVERY_MS);
  pruning.unref();

  return {
    current: (agentId, currency, at) => tracker.current(agentId, currency, at),
    decided(decision, request, origin) {
      // Decisions about agents without limits are not counted (their copies never come back).
      if (tracker.counts(decision.agentId)) tracker.foldLocal(usageFactOfDecision(decision, request, origin));
    },
    track: (agentIds) => tracker.track(agentIds),
    status: () => tracker.status(),
    folded: () => tracker.folded(),
    received: () => received,
    agents: () => tracker.agents(),
    async caughtUp(timeoutMs) {
      const caughtUp = await tracker.caughtUp(timeoutMs);
      if (!caughtUp)
        log.warn(
          { timeoutMs, agents: tracker.pendingAgents() },
          "usage not caught up yet; limited agents are denied until it is",
        );
      return caughtUp;
    },
    async close() {
      clearInterval(pruning);
      await tracker.close();
    },
  };
}
