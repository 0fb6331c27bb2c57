// The rollback monitor's configuration: every key, parsed once at start-up (see README "Config").
import {
  duration,
  grpcKeys,
  hasTokenKeySource,
  hostPort,
  identityKeys,
  integer,
  namespaceKey,
  natsKeys,
  parseConfig,
  port,
  serviceKeys,
  tokenKeySourceIssue,
  url,
  z,
} from "@warden/config";

/** A PromQL template: `{deployment}` (and optionally `{service}`) substituted per deployment. */
const query = (what: string, fallback: string) =>
  z
    .string()
    .min(1)
    .refine((q) => q.includes("{deployment}") || q.includes("{service}"), {
      message: "must name {deployment} or {service}, which the poller substitutes per deployment",
    })
    .default(fallback)
    .describe(`PromQL instant query for ${what}; {deployment} and {service} are substituted`);

const schema = z
  .object({
    ...serviceKeys,
    OPS_PORT: port().default(9469),
    ...natsKeys,
    ...namespaceKey,
    ...grpcKeys(50056),
    ...identityKeys,
    ROLLBACK_BUNDLE_DIR: z
      .string()
      .min(1)
      .describe("the policy bundle directory holding rollback.yaml, e.g. ./governance"),
    TEMPORAL_ADDRESS: hostPort().default("127.0.0.1:7233"),
    TEMPORAL_NAMESPACE: z.string().min(1).default("default").describe("Temporal namespace, e.g. default"),
    TEMPORAL_TASK_QUEUE: z
      .string()
      .min(1)
      .default("warden-rollback")
      .describe("task queue of the rollback worker"),
    ROLLBACK_WEBHOOK_URL: url(
      ["http:", "https:"],
      "the deployment system's rollback webhook, e.g. https://deploy.example/rollback",
    ).optional(),
    ROLLBACK_TICK: duration("how often missing data is judged on the clock, e.g. 1s").default(1_000),
    ROLLBACK_REPLAY_LOOKBACK: duration(
      "how far back the stream is replayed at start-up to rebuild deployments' state, e.g. 24h",
    ).default(86_400_000),
    ROLLBACK_RETAIN: duration("how long a finished deployment's status is kept in memory, e.g. 24h").default(
      86_400_000,
    ),
    ROLLBACK_CONSUMER_CONCURRENCY: integer(
      { min: 1, max: 1_000 },
      "deploy and signal messages handled at once (one deployment's messages stay in stream order), e.g. 64",
    ).default(64),
    ROLLBACK_PROMETHEUS_URL: url(
      ["http:", "https:"],
      "the Prometheus HTTP API polled for error rate and p99 latency, e.g. http://prometheus:9090 (unset: no polling)",
    ).optional(),
    ROLLBACK_PROMETHEUS_INTERVAL: duration("how often Prometheus is polled per deployment, e.g. 15s").default(
      15_000,
    ),
    ROLLBACK_PROMETHEUS_TIMEOUT: duration("how long one Prometheus query may take, e.g. 5s").default(5_000),
    ROLLBACK_PROMETHEUS_ERROR_RATE_QUERY: query(
      "the deployment's error rate",
      'sum(rate(http_requests_total{deployment="{deployment}",code=~"5.."}[1m])) / sum(rate(http_requests_total{deployment="{deployment}"}[1m]))',
    ),
    ROLLBACK_PROMETHEUS_ERROR_RATE_BASELINE_QUERY: query(
      "the baseline error rate",
      'sum(rate(http_requests_total{service="{service}",deployment!="{deployment}",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="{service}",deployment!="{deployment}"}[1m]))',
    ),
    ROLLBACK_PROMETHEUS_LATENCY_QUERY: query(
      "the deployment's p99 latency",
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{deployment="{deployment}"}[1m])))',
    ),
    ROLLBACK_PROMETHEUS_LATENCY_BASELINE_QUERY: query(
      "the baseline p99 latency",
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{service}",deployment!="{deployment}"}[1m])))',
    ),
  })
  .refine(hasTokenKeySource, tokenKeySourceIssue);

export type RollbackMonitorConfig = z.output<typeof schema>;

/** Reads the environment; throws ConfigError listing every missing or invalid key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): RollbackMonitorConfig {
  return parseConfig(schema, env);
}
