// The approval service's configuration: every key, parsed once at start-up (see README "Config").
import {
  bool,
  duration,
  grpcKeys,
  hasTokenKeySource,
  identityKeys,
  integer,
  list,
  namespaceKey,
  natsKeys,
  parseConfig,
  port,
  serviceKeys,
  tokenKeySourceIssue,
  z,
} from "@warden/config";
import { approvalLinkKeys } from "./transport/http/links-config.ts";

const schema = z
  .object({
    ...serviceKeys,
    OPS_PORT: port().default(9467),
    ...natsKeys,
    ...namespaceKey,
    ...grpcKeys(50054),
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^\s:/]+:\d{1,5}$/, "not host:port")
      .describe("the Temporal frontend, host:port, e.g. 127.0.0.1:7233"),
    TEMPORAL_NAMESPACE: z.string().min(1).default("default").describe("the Temporal namespace, e.g. default"),
    TEMPORAL_TASK_QUEUE: z
      .string()
      .min(1)
      .default("warden-approval")
      .describe("the task queue of the approval workflows and activities, e.g. warden-approval"),
    APPROVAL_BREAK_GLASS_ROLES: list(
      z.string().min(1),
      "roles that may approve alone with a mandatory reason (break-glass), e.g. cto,incident-commander",
    ).default(["cto"]),
    APPROVAL_BREAK_GLASS_VALIDITY: duration("how long a break-glass approval stays usable, e.g. 15m").default(
      15 * 60_000,
    ),
    APPROVAL_VALIDITY: duration("how long a granted approval stays usable, e.g. 1h").default(60 * 60_000),
    APPROVAL_CONCURRENCY: integer({ min: 1, max: 256 }, "decisions started at once, e.g. 8").default(8),
    APPROVAL_START_RETRY_DELAY: duration(
      "while Temporal cannot accept a start, the decision is redelivered after this delay, e.g. 2s",
    ).default(2_000),
    APPROVAL_STOP_POLL: duration(
      "how often the emergency-stop view is compared with the last one forwarded to the workflows, e.g. 250ms",
    ).default(250),
    KILLSWITCH_LEASE: duration().default(5_000),
    APPROVAL_WORKER: bool("run the Temporal worker in this process: true or false").default(true),
    ...identityKeys,
    ...approvalLinkKeys,
    // Both set: notices carry signed Approve / Reject links served on the ops port; neither: no links.
    APPROVAL_LINK_BASE_URL: approvalLinkKeys.APPROVAL_LINK_BASE_URL.optional(),
    APPROVAL_LINK_SIGNING_KEY: approvalLinkKeys.APPROVAL_LINK_SIGNING_KEY.optional(),
  })
  .refine(hasTokenKeySource, tokenKeySourceIssue)
  .refine((c) => (c.APPROVAL_LINK_BASE_URL === undefined) === (c.APPROVAL_LINK_SIGNING_KEY === undefined), {
    path: ["APPROVAL_LINK_SIGNING_KEY"],
    message: "APPROVAL_LINK_BASE_URL and APPROVAL_LINK_SIGNING_KEY go together: set both (links) or neither",
  });

export type ApprovalConfig = z.output<typeof schema>;

/** Reads the environment; throws ConfigError listing every missing or invalid key. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ApprovalConfig {
  return parseConfig(schema, env);
}
