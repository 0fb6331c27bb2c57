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
  }
  return registry;
}
