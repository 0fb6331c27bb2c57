// Prometheus metrics of the policy service, as a decorator of the DecisionSink port.
import { Counter, Histogram } from "prom-client";
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
