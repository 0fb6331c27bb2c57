export {
  createLogger,
  childLogger,
  redactPathsFor,
  sensitiveKeys,
  bodyKeys,
  redactedValue,
} from "./create-logger.ts";
export type { Logger, LoggerOptions, LogLevel } from "./create-logger.ts";
export { initTelemetry, createTestTelemetry, traceExporterFrom } from "./init-telemetry.ts";
export type { Telemetry, TelemetryOptions, TestTelemetry, TraceExporterOption } from "./init-telemetry.ts";
export {
  injectInto,
  contextFrom,
  injectTraceContext,
  extractTraceContext,
  injectIntoRecord,
  contextFromRecord,
  traceparentOf,
  contextFromTraceparent,
  traceIdOf,
  withSpan,
} from "./trace-context.ts";
export type { HeaderGetter, HeaderSetter, WithSpanOptions } from "./trace-context.ts";
export { createMetricsRegistry, Registry } from "./create-metrics-registry.ts";
export type { MetricsRegistryOptions } from "./create-metrics-registry.ts";
export { rpcMetrics, RPC_DURATION_METRIC, RPC_REQUESTS_METRIC } from "./rpc-metrics.ts";
export type { RpcMetrics, RpcSystem } from "./rpc-metrics.ts";
export { startOpsServer, healthFrom } from "./start-ops-server.ts";
export type {
  CheckResult,
  HealthCheck,
  HealthFn,
  HealthReport,
  OpsServer,
  OpsServerOptions,
} from "./start-ops-server.ts";
export { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
export type { ReadableSpan } from "@opentelemetry/sdk-trace";
// Temporal tracing lives at `@warden/telemetry/temporal` (values load the Temporal SDK); types only here.
export type { TemporalTracingOptions, TemporalWorkerTracing } from "./temporal.ts";
