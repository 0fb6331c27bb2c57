// The policy service's configuration: every key, parsed once at start-up (see README "Config").
import {
  bool,
  duration,
  integer,
  list,
  natsUrl,
  parseConfig,
  port,
  serviceKeys,
  url,
  z,
} from "@warden/config";

const schema = z
  .object({
    ...serviceKeys,
    NATS_URL: natsUrl(),
    WARDEN_NAMESPACE: z
      .string()
      .regex(/^[a-z0-9_-]{0,32}$/)
      .default("")
      .describe(
        "prefix isolating this installation's subjects and streams; empty in production, e.g. staging",
      ),
    POLICY_BUNDLE_DIR: z.string().min(1).describe("directory of the policy bundle (YAML), e.g. ./governance"),
    POLICY_WATCH: bool("reload the bundle when its files change: true or false").default(true),
    POLICY_CONCURRENCY: integer({ min: 1, max: 256 }).default(8),
    GRPC_HOST: z.string().min(1).default("0.0.0.0").describe("gRPC listen address, e.g. 0.0.0.0"),
    GRPC_PORT: port().default(50051),
    KILLSWITCH_LEASE: duration().default(5_000),
    USAGE_LEASE: duration(
      "how long the shared usage count (rate and budget limits) stays confirmed without a sign of life from the decision stream, e.g. 5s",
    ).default(5_000),
    USAGE_CATCHUP_TIMEOUT: duration(
      "how long start-up waits for the usage count to catch up with today's decisions, e.g. 30s",
    ).default(30_000),
    POLICY_DRY_RUN_ROLES: list(
      z.string().regex(/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_-]+)?$/, "role or role:agent-id"),
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
    JWT_ISSUER: z.string().min(1).describe("expected `iss` of bearer tokens, e.g. https://id.example.com/"),
    JWT_AUDIENCE: z
      .string()
      .min(1)
      .default("warden")
      .describe("expected `aud` of bearer tokens, e.g. warden"),
    JWKS_URL: url(["http:", "https:"]).optional(),
    JWT_DEV_KEY_FILE: z
      .string()
      .min(1)
      .optional()
      .describe("development only: key file of the local issuer (`make up` writes .warden/dev-issuer.pem)"),
  })
  .refine((c) => c.JWKS_URL !== undefined || c.JWT_DEV_KEY_FILE !== undefined, {
    message: "JWKS_URL: required (or JWT_DEV_KEY_FILE for development) — where token signing keys come from",
    path: ["JWKS_URL"],
  });

export type PolicyConfig = z.output<typeof schema>;

/** Reads the environment; throws ConfigError listing every missing or invalid key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): PolicyConfig {
  return parseConfig(schema, env);
}
