import { z } from "zod";
import { bool, duration, integer, natsUrl, port, url } from "./keys.ts";

// Key sets shared by the services, spread into a service's schema next to `serviceKeys`, so every
// service spells and documents NATS_URL, WARDEN_NAMESPACE, GRPC_* and JWT_* the same way.

/**
 * Where the NATS server is and who this process is there. With authentication on (ADR
 * 0013-nats-identities) a service names its .creds file in NATS_CREDS; NATS_TOKEN and
 * NATS_USER / NATS_PASSWORD exist for servers configured that way. An agent also sets
 * NATS_INBOX_PREFIX (its replies arrive only there).
 */
export const natsKeys = {
  NATS_URL: natsUrl(),
  NATS_STREAM_REPLICAS: integer(
    { min: 1, max: 5 },
    "replicas of the streams and the kill-switch bucket the service provisions: 1 on a single server, 3 on a production cluster, e.g. 3",
  ).default(1),
  NATS_CREDS: z
    .string()
    .min(1)
    .optional()
    .describe(
      "path of this identity's NATS .creds file (user JWT + seed), e.g. .warden/nats/service-policy.creds",
    ),
  NATS_TOKEN: z.string().min(1).optional().describe("a NATS token, for a server configured with token auth"),
  NATS_USER: z.string().min(1).optional().describe("a NATS user name (with NATS_PASSWORD)"),
  NATS_PASSWORD: z.string().min(1).optional().describe("the NATS_USER's password"),
  NATS_INBOX_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional()
    .describe("the connection's inbox prefix; an agent's is _INBOX_AGENT.<id> (issued with its creds)"),
};

/** The NATS keys as parsed (what connectServiceNats takes). */
export type NatsConfig = {
  NATS_URL: string;
  NATS_STREAM_REPLICAS?: number | undefined;
  NATS_CREDS?: string | undefined;
  NATS_TOKEN?: string | undefined;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_INBOX_PREFIX?: string | undefined;
};

/** The installation's namespace (prefix of subjects and streams). */
export const namespaceKey = {
  WARDEN_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9_-]{0,32}$/)
    .default("")
    .describe("prefix isolating this installation's subjects and streams; empty in production, e.g. staging"),
};

/**
 * The gRPC listen address (each service has its own default port) and its TLS (ADR 0019):
 * TLS with GRPC_TLS_CERT_FILE + GRPC_TLS_KEY_FILE, mutual TLS when GRPC_TLS_CLIENT_CA_FILE is set
 * too, or plaintext only with GRPC_INSECURE=true. The files are checked when the server starts
 * (`serverTlsFromConfig` in @warden/grpc), not here: a missing certificate is a start-up error there.
 */
export function grpcKeys(defaultPort: number) {
  return {
    GRPC_HOST: z.string().min(1).default("0.0.0.0").describe("gRPC listen address, e.g. 0.0.0.0"),
    GRPC_PORT: port().default(defaultPort),
    GRPC_TLS_CERT_FILE: z
      .string()
      .min(1)
      .optional()
      .describe("PEM certificate (chain) the gRPC server presents, e.g. /etc/warden/tls/tls.crt"),
    GRPC_TLS_KEY_FILE: z
      .string()
      .min(1)
      .optional()
      .describe("PEM private key of GRPC_TLS_CERT_FILE, e.g. /etc/warden/tls/tls.key"),
    GRPC_TLS_CLIENT_CA_FILE: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PEM CA certificate(s); when set, every gRPC client must present a certificate they signed (mutual TLS), e.g. /etc/warden/tls/ca.crt",
      ),
    GRPC_TLS_RELOAD_INTERVAL: duration(
      "how often the certificate, key and client CA files are re-read (a valid change is served to new connections), at least 1s, e.g. 60s",
    )
      .refine((ms) => ms >= 1000, "below 1s")
      .default(60_000),
    GRPC_INSECURE: bool(
      "true serves plaintext gRPC (development and tests only; logged as a warning), false requires GRPC_TLS_CERT_FILE",
    ).default(false),
  };
}

/** The gRPC keys as parsed (what `startServiceGrpc` in @warden/service takes). */
export type GrpcConfig = {
  GRPC_HOST: string;
  GRPC_PORT: number;
  GRPC_TLS_CERT_FILE?: string | undefined;
  GRPC_TLS_KEY_FILE?: string | undefined;
  GRPC_TLS_CLIENT_CA_FILE?: string | undefined;
  GRPC_TLS_RELOAD_INTERVAL: number;
  GRPC_INSECURE: boolean;
};

/**
 * How bearer tokens are verified: issuer, audience and where the signing keys come from (a JWKS,
 * or in development the local issuer's key file). Add `.refine(hasTokenKeySource, tokenKeySourceIssue)`
 * to the schema: one of the two key sources is required.
 */
export const identityKeys = {
  JWT_ISSUER: z.string().min(1).describe("expected `iss` of bearer tokens, e.g. https://id.example.com/"),
  JWT_AUDIENCE: z.string().min(1).default("warden").describe("expected `aud` of bearer tokens, e.g. warden"),
  JWKS_URL: url(["http:", "https:"]).optional(),
  JWT_DEV_KEY_FILE: z
    .string()
    .min(1)
    .optional()
    .describe("development only: key file of the local issuer (`make up` writes .warden/dev-issuer.pem)"),
};

/** The identity keys as parsed (what `createVerifier` in @warden/service takes). */
export type IdentityConfig = {
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWKS_URL?: string | undefined;
  JWT_DEV_KEY_FILE?: string | undefined;
};

/** True when the tokens' signing keys have a source: JWKS_URL, or JWT_DEV_KEY_FILE for development. */
export function hasTokenKeySource(config: Pick<IdentityConfig, "JWKS_URL" | "JWT_DEV_KEY_FILE">): boolean {
  return config.JWKS_URL !== undefined || config.JWT_DEV_KEY_FILE !== undefined;
}

/** The issue `hasTokenKeySource` reports, named on JWKS_URL. */
export const tokenKeySourceIssue = {
  message: "JWKS_URL: required (or JWT_DEV_KEY_FILE for development) — where token signing keys come from",
  path: ["JWKS_URL"],
};
