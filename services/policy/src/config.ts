// The policy service's configuration: every key, parsed once at start-up (see README "Config").
import {
  bool,
  duration,
  grpcKeys,
  hasTokenKeySource,
  identityKeys,
  integer,
  namespaceKey,
  natsKeys,
  parseConfig,
  serviceKeys,
  tokenKeySourceIssue,
  z,
} from "@warden/config";

const schema = z
  .object({
    ...serviceKeys,
    ...natsKeys,
    ...namespaceKey,
    POLICY_BUNDLE_DIR: z.string().min(1).describe("directory of the policy bundle (YAML), e.g. ./governance"),
    POLICY_WATCH: bool("reload the bundle when its files change: true or false").default(true),
    POLICY_CONCURRENCY: integer({ min: 1, max: 256 }).default(8),
    ...grpcKeys(50051),
    KILLSWITCH_LEASE: duration().default(5_000),
    USAGE_LEASE: duration(
      "how long the shared usage count (rate and budget limits) stays confirmed without a sign of life from the decision stream, e.g. 5s",
    ).default(5_000),
    USAGE_CATCHUP_TIMEOUT: duration(
      "how long start-up waits for the usage count to catch up with today's decisions, e.g. 30s",
    ).default(30_000),
    ...identityKeys,
  })
  .refine(hasTokenKeySource, tokenKeySourceIssue);

export type PolicyConfig = z.output<typeof schema>;

/** Reads the environment; throws ConfigError listing every missing or invalid key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): PolicyConfig {
  return parseConfig(schema, env);
}
