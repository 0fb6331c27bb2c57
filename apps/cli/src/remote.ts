// How commands reach the services: addresses and the bearer token from flags, env or a file; one
// gRPC client per service (the generated @warden/contracts definitions over @warden/grpc); every
// failure of a call turned into an exit code and a message that says what to do (rpc-failure.ts).
import { readFileSync } from "node:fs";
import type { CompatServiceDefinition, Client } from "nice-grpc";
import { ConfigError } from "@warden/config";
import { clientTlsFromFiles, createGrpcClient } from "@warden/grpc";
import type { ClientTls } from "@warden/grpc";
import { CliInputError } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import { DEFAULT_ADDRESSES, SERVICE_LABEL, addressEnvVar } from "./config.ts";
import type { CliEnv, ServiceName } from "./config.ts";
import { ServiceCallError } from "./rpc-failure.ts";

/**
 * The program-wide options (run-cli.ts): `--json`, `--token`, `--token-file`, `--<service>-addr`,
 * `--timeout`, and gRPC TLS: `--tls`, `--tls-ca`, `--tls-cert`, `--tls-key`, `--tls-server-name`.
 */
export interface GlobalOptions {
  readonly tls?: boolean;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsServerName?: string;
  readonly json?: boolean;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly timeout?: number;
  readonly policyAddr?: string;
  readonly auditAddr?: string;
  readonly killswitchAddr?: string;
  readonly approvalAddr?: string;
  readonly rollbackAddr?: string;
}

/** Default time a unary call may take (`--timeout`). */
export const DEFAULT_TIMEOUT_MS = 10_000;

const FLAG_OF: Readonly<Record<ServiceName, keyof GlobalOptions>> = {
  policy: "policyAddr",
  audit: "auditAddr",
  killswitch: "killswitchAddr",
  approval: "approvalAddr",
  rollback: "rollbackAddr",
};

export interface Remote {
  readonly json: boolean;
  readonly timeoutMs: number;
  /** host:port of a service: --<service>-addr, else WARDEN_<SERVICE>_ADDR, else the `make up` port. */
  address(service: ServiceName): string;
  /** The bearer token: --token, else WARDEN_TOKEN, else --token-file / WARDEN_TOKEN_FILE; undefined if none. */
  token(): string | undefined;
  /**
   * A typed client of `service` (closed by close()). With `anonymous`, no token is sent (health);
   * otherwise a missing token is a usage error naming the three ways to give one.
   */
  client<S extends CompatServiceDefinition>(
    definition: S,
    service: ServiceName,
    options?: { anonymous?: boolean },
  ): Client<S>;
  /** Call options for a unary call: aborted after --timeout or on Ctrl-C. */
  unary(): { signal: AbortSignal };
  /** Call options for a stream: aborted on Ctrl-C only. */
  stream(): { signal: AbortSignal };
  /**
   * Runs one call against `service`; a failure becomes a ServiceCallError (exit code, message and
   * hint are chosen in one place, rpc-failure.ts).
   */
  call<T>(service: ServiceName, run: () => Promise<T>): Promise<T>;
  close(): void;
}

export function createRemote(options: GlobalOptions, io: CliIo): Remote {
  const env: CliEnv = io.env ?? { addresses: {} };
  const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const channels: { close(): void }[] = [];
  let cachedToken: string | undefined | null = null;
  const interrupted = io.signal ?? new AbortController().signal;

  const address = (service: ServiceName): string =>
    (options[FLAG_OF[service]] as string | undefined) ?? env.addresses[service] ?? DEFAULT_ADDRESSES[service];

  const token = (): string | undefined => {
    if (cachedToken !== null) return cachedToken;
    const file = options.tokenFile ?? env.tokenFile;
    let value = options.token ?? env.token;
    if (value === undefined && file !== undefined) {
      try {
        value = readFileSync(file, "utf8").trim();
      } catch (err) {
        throw new CliInputError([
          `--token-file ${file}: cannot read the token: ${err instanceof Error ? err.message : String(err)}`,
        ]);
      }
      if (value === "") throw new CliInputError([`--token-file ${file}: the file is empty`]);
    }
    cachedToken = value;
    return value;
  };

  let cachedTls: ClientTls | boolean | undefined;
  const tls = (): ClientTls | boolean => {
    cachedTls ??= resolveTls(options, env);
    return cachedTls;
  };

  return {
    json: options.json ?? false,
    timeoutMs,
    address,
    token,
    client(definition, service, clientOptions = {}) {
      let bearer: string | undefined;
      if (clientOptions.anonymous !== true) {
        bearer = token();
        if (bearer === undefined) {
          throw new CliInputError([
            `the ${SERVICE_LABEL[service]} service needs a bearer token: pass --token TOKEN, set WARDEN_TOKEN, or --token-file FILE / WARDEN_TOKEN_FILE`,
            "  locally: export WARDEN_TOKEN=$(warden dev token --user YOU --roles ROLE)",
          ]);
        }
      }
      const c = createGrpcClient(definition, address(service), {
        ...(bearer !== undefined && { token: bearer }),
        traceContext: false,
        tls: tls(),
      });
      channels.push(c);
      return c.client;
    },
    unary: () => ({ signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), interrupted]) }),
    stream: () => ({ signal: interrupted }),
    async call(service, run) {
      try {
        return await run();
      } catch (err) {
        if (err instanceof CliInputError || err instanceof ServiceCallError) throw err;
        throw new ServiceCallError(service, address(service), err, {
          timeoutMs,
          interrupted: interrupted.aborted,
          envVar: addressEnvVar(service),
        });
      }
    },
    close() {
      for (const c of channels.splice(0)) c.close();
    },
  };
}

/**
 * gRPC transport security from the flags (which win) and WARDEN_TLS*: plaintext unless `--tls` or
 * any `--tls-*` file or name is given; `--tls` alone trusts the system's CAs. Bad files are usage
 * errors naming the flag (or env var) that gave them.
 */
function resolveTls(options: GlobalOptions, env: CliEnv): ClientTls | boolean {
  const pick = (flag: string | undefined, flagName: string, value: string | undefined, envName: string) =>
    flag !== undefined
      ? { path: flag, name: flagName }
      : value !== undefined
        ? { path: value, name: envName }
        : undefined;
  const ca = pick(options.tlsCa, "--tls-ca", env.tlsCaFile, "WARDEN_TLS_CA_FILE");
  const cert = pick(options.tlsCert, "--tls-cert", env.tlsCertFile, "WARDEN_TLS_CERT_FILE");
  const key = pick(options.tlsKey, "--tls-key", env.tlsKeyFile, "WARDEN_TLS_KEY_FILE");
  const serverName = options.tlsServerName ?? env.tlsServerName;
  const on =
    (options.tls ?? false) ||
    (env.tls ?? false) ||
    ca !== undefined ||
    cert !== undefined ||
    key !== undefined ||
    serverName !== undefined;
  if (!on) return false;
  try {
    return clientTlsFromFiles({ ca, cert, key, serverName });
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new CliInputError(
        err.issues.map(
          (issue) =>
            `${issue.key}: ${issue.problem === "missing" ? "required" : (issue.detail ?? "invalid")}`,
        ),
      );
    }
    throw err;
  }
}
