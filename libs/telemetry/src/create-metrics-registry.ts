import { Registry, collectDefaultMetrics } from "prom-client";

export { Registry } from "prom-client";

export interface MetricsRegistryOptions {
  /** Added as a `service` label to every metric. */
  service: string;
  /** Collect Node process metrics (CPU, memory, event loop lag, GC); default true. */
  defaultMetrics?: boolean;
  /** Prefix for the default metrics' names, e.g. `warden_`. */
  prefix?: string;
}

/**
 * prom-client's default metrics that are gauges named `…_total` (totals of the unsuffixed gauges
 * beside them, by type), which `promtool check metrics` rejects ("non-counter metrics should not have
 * "_total" suffix"). Dropped: `sum(nodejs_active_handles)` is the same number.
 */
const lintFailingDefaults = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/**
 * A prom-client registry of its own (never the global one, so tests and several services in one
 * process do not collide), with a `service` label and the default Node metrics.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({
      register: registry,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    });
    for (const name of lintFailingDefaults) registry.removeSingleMetric(`${options.prefix ?? ""}${name}`);
  }
  return registry;
}
