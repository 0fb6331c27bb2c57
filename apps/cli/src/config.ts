// The CLI's configuration from the environment. Flags win over these; the only place that reads
// process.env (STYLE.md item 4).

/** The services the CLI talks to, by their flag / env name. */
export const SERVICES = ["policy", "audit", "killswitch", "approval", "rollback"] as const;
export type ServiceName = (typeof SERVICES)[number];

/** How messages name each service. */
export const SERVICE_LABEL: Readonly<Record<ServiceName, string>> = {
  policy: "policy",
  audit: "audit",
  killswitch: "kill-switch",
  approval: "approval",
  rollback: "rollback",
};

/**
 * Default addresses: the ports `make up` binds (scripts/dev-env.ts).
 */
export const DEFAULT_ADDRESSES: Readonly<Record<ServiceName, string>> = {
  policy: "127.0.0.1:50051",
  killswitch: "127.0.0.1:50053",
  approval: "127.0.0.1:50054",
  audit: "127.0.0.1:50055",
  rollback: "127.0.0.1:50056",
};

/** What each service's env var is called: WARDEN_<SERVICE>_ADDR. */
export const addressEnvVar = (service: ServiceName): string => `WARDEN_${service.toUpperCase()}_ADDR`;

export interface CliEnv {
  /** WARDEN_TOKEN: the bearer token. */
  readonly token?: string;
  /** WARDEN_TOKEN_FILE: a file holding the token. */
  readonly tokenFile?: string;
  /** WARDEN_<SERVICE>_ADDR. */
  readonly addresses: Partial<Record<ServiceName, string>>;
  /** WARDEN_DEV_KEY_FILE: the dev issuer's key (default .warden/dev-issuer.pem). */
  readonly devKeyFile?: string;
  /** WARDEN_DEV_ISSUER / WARDEN_DEV_AUDIENCE: the dev issuer's `iss` and `aud`. */
  readonly devIssuer?: string;
  readonly devAudience?: string;
  /** WARDEN_NATS_CREDS: the NATS .creds file for the commands that read a stream directly. */
  readonly natsCreds?: string;
  /** WARDEN_TLS=true: gRPC over TLS (trusting the system's CAs unless WARDEN_TLS_CA_FILE). */
  readonly tls?: boolean;
  /** WARDEN_TLS_CA_FILE / WARDEN_TLS_CERT_FILE / WARDEN_TLS_KEY_FILE / WARDEN_TLS_SERVER_NAME (as the --tls-* flags). */
  readonly tlsCaFile?: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly tlsServerName?: string;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/** Reads the CLI's environment variables (default: the process's). */
export function readCliEnv(env: Readonly<Record<string, string | undefined>> = process.env): CliEnv {
  const addresses: Partial<Record<ServiceName, string>> = {};
  for (const service of SERVICES) {
    const value = nonEmpty(env[addressEnvVar(service)]);
    if (value !== undefined) addresses[service] = value;
  }
  const optional = (key: keyof Omit<CliEnv, "addresses">, name: string): Partial<CliEnv> => {
    const value = nonEmpty(env[name]);
    return value === undefined ? {} : { [key]: value };
  };
  return {
    addresses,
    ...optional("token", "WARDEN_TOKEN"),
    ...optional("tokenFile", "WARDEN_TOKEN_FILE"),
    ...optional("devKeyFile", "WARDEN_DEV_KEY_FILE"),
    ...optional("devIssuer", "WARDEN_DEV_ISSUER"),
    ...optional("devAudience", "WARDEN_DEV_AUDIENCE"),
    ...optional("natsCreds", "WARDEN_NATS_CREDS"),
    ...(nonEmpty(env.WARDEN_TLS)?.toLowerCase() === "true" ? { tls: true } : {}),
    ...optional("tlsCaFile", "WARDEN_TLS_CA_FILE"),
    ...optional("tlsCertFile", "WARDEN_TLS_CERT_FILE"),
    ...optional("tlsKeyFile", "WARDEN_TLS_KEY_FILE"),
    ...optional("tlsServerName", "WARDEN_TLS_SERVER_NAME"),
  };
}
