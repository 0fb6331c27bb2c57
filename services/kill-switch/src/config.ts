// The kill-switch service's configuration: every key, parsed once at start-up (see README "Config").
import {
  duration,
  grpcKeys,
  hasTokenKeySource,
  identityKeys,
  list,
  namespaceKey,
  natsKeys,
  parseConfig,
  port,
  serviceKeys,
  tokenKeySourceIssue,
  z,
} from "@warden/config";
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
    ...natsKeys,
    ...namespaceKey,
    ...grpcKeys(50053),
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
    ...identityKeys,
  })
  .refine(hasTokenKeySource, tokenKeySourceIssue);

export type KillSwitchConfig = z.output<typeof schema>;

/** Reads the environment; throws ConfigError listing every missing or invalid key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): KillSwitchConfig {
  return parseConfig(schema, env);
}
