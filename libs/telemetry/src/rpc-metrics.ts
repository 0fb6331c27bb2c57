import { Counter, Histogram } from "prom-client";
import type { Registry } from "prom-client";

/** How a request reached the service. */
export type RpcSystem = "grpc" | "nats";

export interface RpcMetrics {
  /** Records one finished request: its method (gRPC path or NATS subject), outcome code and duration. */
  observe(system: RpcSystem, method: string, code: string, seconds: number): void;
}

export const RPC_REQUESTS_METRIC = "warden_rpc_requests_total";
export const RPC_DURATION_METRIC = "warden_rpc_duration_seconds";

const perRegistry = new WeakMap<Registry, RpcMetrics>();

/**
 * Per-RPC request count and latency, by `rpc_system` (grpc | nats), `method` and `code` (the gRPC
 * status name, e.g. `OK`, `INVALID_ARGUMENT`; for NATS RPC `OK` or the error reply's code). One pair
 * of metrics per registry, shared by the gRPC middleware and the NATS RPC server of a service.
 */
export function rpcMetrics(registry: Registry): RpcMetrics {
  const known = perRegistry.get(registry);
  if (known !== undefined) return known;
  const labelNames = ["rpc_system", "method", "code"] as const;
  const requests = new Counter({
    name: RPC_REQUESTS_METRIC,
    help: "RPC requests handled, by system (grpc, nats), method and outcome code",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: RPC_DURATION_METRIC,
    help: "Time from receiving an RPC request to sending its answer, by system, method and outcome code",
    labelNames,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const metrics: RpcMetrics = {
    observe(system, method, code, seconds) {
      const labels = { rpc_system: system, method, code };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
  perRegistry.set(registry, metrics);
  return metrics;
}
