// The policy service's configuration: every key, parsed once at start-up (see README "Config").
import {
  bool,
  duration,
  grpcKeys,
  hasTokenKeySource,
  identityKeys,
  integer,
  list,
  namespaceKey,
  oneOf,
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
    POLICY_DECISION_RECORDS: oneOf(
      ["single", "pipelined", "group"] as const,
      "how decision records are written before the answer (each answer waits for its own record's ack in every mode): group (records made while a group is written go out together next), pipelined (one shared ack inbox, no grouping), single (js.publish each), e.g. group",
    ).default("group"),
    ...grpcKeys(50051),
    KILLSWITCH_LEASE: duration().default(5_000),
    POLICY_UNKNOWN_STOP_RETRY_DELAY: duration(
      "while the emergency-stop state is unknown, a queued action request is redelivered after this delay instead of denied, e.g. 1s",
    ).default(1_000),
    POLICY_UNKNOWN_STOP_MAX_DELIVERIES: integer(
      { min: 1, max: 10_000 },
      "deliveries of a queued action request while the stop state stays unknown; the last one is denied (1: deny at once), e.g. 30",
    ).default(30),
    USAGE_LEASE: duration(
      "how long the shared usage count (rate and budget limits) stays confirmed without a sign of life from the decision stream, e.g. 5s",
    ).default(5_000),
    USAGE_CATCHUP_TIMEOUT: duration(
      "how long start-up waits for the usage count to catch up with today's decisions, e.g. 30s",
    ).default(30_000),
    POLICY_DRY_RUN_ROLES: list(
      z.string().regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9][A-Za-z0-9_.:@/-]*)?$/, "role or role:agent-id"),
      "who may evaluate on an agent's behalf (a dry run, ADR 0009): comma-separated `role` (any agent) or `role:agent-id` (that agent only), e.g. policy-author,team-lead:release-pipeline",
    ).default(["policy-author", "security-lead"]),
    POLICY_EXPLAIN_ROLES: list(
      z.string().min(1),
      "roles of which a caller needs one to call Explain (an agent explaining its own request needs none), e.g. policy-author,auditor",
    ).default(["policy-author", "security-lead", "auditor"]),
    POLICY_BUNDLE_READ_ROLES: list(
      z.string().min(1),
      "roles of which a human caller needs one to call GetBundle (agent and service tokens may read it), e.g. policy-author,auditor",
    ).default(["policy-author", "security-lead", "auditor"]),
    ...identityKeys,
  })
  .refine(hasTokenKeySource, tokenKeySourceIssue);

export type PolicyConfig = z.output<typeof schema>;

/** Reads the environment; throws ConfigError listing every missing or invalid key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): PolicyConfig {
  return parseConfig(schema, env);
}
