// The console's configuration: every key, parsed once at start-up (README "Configuration"). The only
// place that reads process.env.
import {
  bool,
  duration,
  hasTokenKeySource,
  hostPort,
  identityKeys,
  oneOf,
  parseConfig,
  port,
  serviceKeys,
  tokenKeySourceIssue,
  url,
  z,
} from "@warden/config";

const metricsUrl = (example: string) =>
  url(["http:", "https:"], `a service's Prometheus /metrics URL, e.g. ${example}`).optional();

const schema = z
  .object({
    ...serviceKeys,
    ...identityKeys,
    CONSOLE_HOST: z.string().min(1).default("127.0.0.1").describe("HTTP listen address, e.g. 127.0.0.1"),
    CONSOLE_PORT: port().default(8480),
    CONSOLE_PUBLIC_URL: url(
      ["http:", "https:"],
      "the URL people open, used as the expected Origin of every POST, e.g. https://console.example.com",
    ).optional(),
    CONSOLE_AUTH: oneOf(
      ["dev", "oidc"] as const,
      "how people sign in: dev (the local issuer, development only) or oidc",
    ).default("dev"),
    CONSOLE_SESSION_SECRET: z
      .string()
      .min(32, "at least 32 characters")
      .optional()
      .describe("HMAC key of the CSRF tokens; random per process when unset (sessions end on restart)"),
    CONSOLE_SESSION_TTL: duration("how long a dev sign-in lasts, e.g. 8h").default(8 * 3600_000),
    CONSOLE_SECURE_COOKIES: bool("mark cookies Secure (true behind TLS)").default(false),
    CONSOLE_RPC_TIMEOUT: duration("time a unary gRPC call may take, e.g. 10s").default(10_000),
    CONSOLE_HEALTH_VERIFY_LAST: z.coerce
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe(
        "how many of the newest audit records the health page verifies (0: the whole chain on every view)",
      ),
    OIDC_ISSUER_URL: url(["https:", "http:"], "the OpenID provider, e.g. https://id.example.com/").optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional().describe("the console's OIDC client id"),
    OIDC_CLIENT_SECRET: z.string().min(1).optional().describe("the console's OIDC client secret"),
    WARDEN_POLICY_ADDR: hostPort().default("127.0.0.1:50051"),
    WARDEN_KILLSWITCH_ADDR: hostPort().default("127.0.0.1:50053"),
    WARDEN_APPROVAL_ADDR: hostPort().default("127.0.0.1:50054"),
    WARDEN_AUDIT_ADDR: hostPort().default("127.0.0.1:50055"),
    WARDEN_TLS: bool(
      "reach the services over gRPC TLS: true or false (implied by any WARDEN_TLS_* file; false only for services run with GRPC_INSECURE=true)",
    ).default(false),
    WARDEN_TLS_CA_FILE: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PEM CA certificate(s) the services' certificates chain to; default the system's CAs, e.g. /etc/warden/tls/ca.crt",
      ),
    WARDEN_TLS_CERT_FILE: z
      .string()
      .min(1)
      .optional()
      .describe("PEM client certificate for services that require mutual TLS (with WARDEN_TLS_KEY_FILE)"),
    WARDEN_TLS_KEY_FILE: z.string().min(1).optional().describe("PEM private key of WARDEN_TLS_CERT_FILE"),
    WARDEN_TLS_SERVER_NAME: z
      .string()
      .min(1)
      .optional()
      .describe(
        "the name the services' certificates must carry when not the address's host, e.g. warden.internal",
      ),
    WARDEN_POLICY_METRICS_URL: metricsUrl("http://127.0.0.1:9464/metrics"),
    WARDEN_KILLSWITCH_METRICS_URL: metricsUrl("http://127.0.0.1:9466/metrics"),
    WARDEN_APPROVAL_METRICS_URL: metricsUrl("http://127.0.0.1:9467/metrics"),
    WARDEN_AUDIT_METRICS_URL: metricsUrl("http://127.0.0.1:9468/metrics"),
  })
  .refine(hasTokenKeySource, tokenKeySourceIssue)
  .refine((c) => c.CONSOLE_AUTH !== "dev" || c.JWT_DEV_KEY_FILE !== undefined, {
    message:
      "JWT_DEV_KEY_FILE: required with CONSOLE_AUTH=dev — the local issuer's key signs the sign-in tokens",
    path: ["JWT_DEV_KEY_FILE"],
  });

export type ConsoleConfig = z.infer<typeof schema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): ConsoleConfig {
  return parseConfig(schema, env);
}
