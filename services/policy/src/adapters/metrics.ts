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
  const evaluation = new Histogram({
    name: "warden_policy_evaluation_seconds",
    help: "In-process evaluation time of one decision",
    buckets: [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3],
    registers: [registry],
  });
  return {
    async decided(decision, request, origin, stop) {
      decisions.inc({ outcome: decision.outcome });
      evaluation.observe(decision.evalDurationNs / 1e9);
      await sink.decided(decision, request, origin, stop);
    },
  };
}
