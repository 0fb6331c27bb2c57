// The kill-switch service's configuration: every key, parsed once at start-up (see README "Config").
import { duration, list, natsUrl, parseConfig, port, serviceKeys, url, z } from "@warden/config";
import { DEFAULT_ACTIVATION_ROLES } from "./app/kill-switch-service.ts";

/** `U123=olga:on-call-engineer+engineering-lead` → Slack user U123 is olga with those roles. */
const slackUser = z
  .string()
  .regex(/^[A-Z0-9]+=[^:=,\s]+:[^:=,\s]*$/, "not SLACKID=person:role+role")
  .transform((entry) => {
    const [slackId = "", rest = ""] = entry.split("=");
    const [id = "", roles = ""] = rest.split(":");
    return { slackId, id, roles: roles.split("+").filter((r) => r !== "") };
  });

const schema = z
  .object({
    ...serviceKeys,
    OPS_PORT: port().default(9466),
    NATS_URL: natsUrl(),
    WARDEN_NAMESPACE: z
      .string()
      .regex(/^[a-z0-9_-]{0,32}$/)
      .default("")
      .describe(
        "prefix isolating this installation's subjects and streams; empty in production, e.g. staging",
      ),
    GRPC_HOST: z.string().min(1).default("0.0.0.0").describe("gRPC listen address, e.g. 0.0.0.0"),
    GRPC_PORT: port().default(50053),
    KILLSWITCH_ACTIVATION_ROLES: list(
      z.string().min(1),
      "roles that may activate a stop, e.g. on-call-engineer,cto",
    ).default([...DEFAULT_ACTIVATION_ROLES]),
    KILLSWITCH_CONSUMER_TTL: duration(
      "a consumer that has not acknowledged for this long is no longer expected to, e.g. 2m",
    ).default(120_000),
    SLACK_SIGNING_SECRET: z
      .string()
      .min(1)
      .optional()
      .describe("the Slack app's signing secret; unset disables /api/slack/command"),
    SLACK_USERS: list(
      slackUser,
      "Slack user → Warden identity, e.g. U123=olga:on-call-engineer+cto,U456=sam:security-lead",
    ).default([]),
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

export type KillSwitchConfig = z.output<typeof schema>;

/** Reads the environment; throws ConfigError listing every missing or invalid key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): KillSwitchConfig {
  return parseConfig(schema, env);
}
