// The rollback monitor's configuration: every key, parsed once at start-up (see README "Config").
import {
  duration,
  grpcKeys,
  hasTokenKeySource,
  hostPort,
  identityKeys,
  namespaceKey,
  natsKeys,
  parseConfig,
  port,
  serviceKeys,
  tokenKeySourceIssue,
  url,
  z,
} from "@warden/config";

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
  })
  .refine(hasTokenKeySource, tokenKeySourceIssue);

export type RollbackMonitorConfig = z.output<typeof schema>;

/** Reads the environment; throws ConfigError listing every missing or invalid key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): RollbackMonitorConfig {
  return parseConfig(schema, env);
}
