// Prometheus metrics of the policy service, as a decorator of the DecisionSink port.
import { Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";
import type { DecisionSink } from "../app/ports.ts";

export function instrumentDecisions(sink: DecisionSink, registry: Registry): DecisionSink {
  const decisions = new Counter({
    name: "warden_policy_decisions_total",
    help: "Decisions made, by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  // Dry runs (someone other than the agent asked, ADR 0009) are not decisions for the agent: counted
  // apart, so that a console's what-ifs neither feed nor mask the decision rates alerts watch.
  const dryRuns = new Counter({
    name: "warden_policy_dry_runs_total",
    help: "Dry runs answered (evaluations and explanations on an agent's behalf), by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const evaluation = new Histogram({
    name: "warden_policy_evaluation_seconds",
    help: "In-process evaluation time of one decision",
    buckets: [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3],
    registers: [registry],
  });
  return {
    async decided(decision, request, origin, stop) {
      (origin.dryRunBy === undefined ? decisions : dryRuns).inc({ outcome: decision.outcome });
      evaluation.observe(decision.evalDurationNs / 1e9);
      await sink.decided(decision, request, origin, stop);
    },
  };
}

/**
 * Group commit (POLICY_DECISION_RECORDS=group): the size of each group of decision records written
 * together — 1 under low load, larger as decisions arrive faster than one round trip.
 */
export function decisionRecordGroups(registry: Registry): (size: number) => void {
  const groups = new Histogram({
    name: "warden_policy_decision_record_group_size",
    help: "Decision records written together in one group (group commit)",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  return (size) => {
    groups.observe(size);
  };
}

/** Where a request came in: JetStream (`warden.action.requested.*`) or NATS request-reply. */
export type RequestPath = "nats" | "rpc";

export interface PolicyMetrics {
  /** A message that can never be valid (terminated or refused), by reason (schema, identity, …). */
  invalid(path: RequestPath, reason: string): void;
  /** End to end: from the request's envelope time (nats) or receipt (rpc) until its decision is recorded. */
  decided(path: RequestPath, seconds: number): void;
  /** A bundle reload's outcome: activated, unchanged, rejected or failed (threw). */
  reloaded(result: "activated" | "unchanged" | "rejected" | "failed"): void;
}

/**
 * The policy service's metrics beside the decision counters: invalid messages, end-to-end decision
 * latency, bundle reloads and the active digest, and the emergency-stop state with the age of its
 * last confirmation (read when scraped).
 */
export function createPolicyMetrics(
  registry: Registry,
  sources: {
    activeDigest: () => string;
    stopKind: () => "clear" | "active" | "unknown";
    /** Epoch ms of the last confirmation of the stop state, undefined while never confirmed. */
    stopConfirmedAt: () => number | undefined;
    /** How long a confirmation counts (KILLSWITCH_LEASE). */
    leaseMs: number;
    now?: () => number;
  },
): PolicyMetrics {
  const registers = [registry];
  const now = sources.now ?? Date.now;
  const invalid = new Counter({
    name: "warden_policy_invalid_messages_total",
    help: "Requests that can never be valid (terminated and reported, or refused), by path and reason",
    labelNames: ["path", "reason"] as const,
    registers,
  });
  const decision = new Histogram({
    name: "warden_policy_decision_seconds",
    help: "End-to-end decision latency: from the request's envelope time (nats) or receipt (rpc) until the decision is recorded",
    labelNames: ["path"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const reloads = new Counter({
    name: "warden_policy_bundle_reloads_total",
    help: "Bundle reloads by result (activated, unchanged, rejected, failed)",
    labelNames: ["result"] as const,
    registers,
  });
  new Gauge({
    name: "warden_policy_bundle_info",
    help: "The active policy bundle (value 1), by digest",
    labelNames: ["digest"] as const,
    registers,
    collect() {
      this.reset();
      this.set({ digest: sources.activeDigest() }, 1);
    },
  });
  const states = ["clear", "active", "unknown"] as const;
  new Gauge({
    name: "warden_killswitch_state",
    help: "The emergency-stop state this replica acts on (1 for the current state, 0 for the others); unknown acts as stopped",
    labelNames: ["state"] as const,
    registers,
    collect() {
      const current = sources.stopKind();
      for (const state of states) this.set({ state }, state === current ? 1 : 0);
    },
  });
  new Gauge({
    name: "warden_killswitch_confirmation_age_seconds",
    help: "Time since the emergency-stop state was last confirmed (+Inf while it is unreadable or never was)",
    registers,
    collect() {
      const at = sources.stopConfirmedAt();
      this.set(at === undefined ? Number.POSITIVE_INFINITY : Math.max(0, now() - at) / 1000);
    },
  });
  new Gauge({
    name: "warden_killswitch_lease_seconds",
    help: "How long a confirmation of the emergency-stop state counts; older means unknown (stopped)",
    registers,
  }).set(sources.leaseMs / 1000);
  return {
    invalid: (path, reason) => invalid.inc({ path, reason }),
    // An envelope time from a skewed clock can lie ahead: counted as 0, never negative.
    decided: (path, seconds) => {
      if (Number.isFinite(seconds)) decision.observe({ path }, Math.max(0, seconds));
    },
    reloaded: (result) => reloads.inc({ result }),
  };
}
