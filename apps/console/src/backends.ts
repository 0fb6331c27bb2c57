// The services as the console reaches them: gRPC clients of their public APIs, each call carrying
// the signed-in person's own bearer token (so what they may do is what the APIs allow), and the
// services' Prometheus /metrics text. Never a database.
import { Metadata } from "nice-grpc";
import type { Client } from "nice-grpc";
import { approvalV1, auditV1, killswitchV1, policyV1 } from "@warden/contracts";
import { clientTlsFromFiles, createGrpcClient } from "@warden/grpc";
import type { ClientTls } from "@warden/grpc";
import type { ConsoleConfig } from "./config.ts";

export type ApprovalApi = Pick<
  Client<typeof approvalV1.ApprovalServiceDefinition>,
  "get" | "listPending" | "decide"
>;
export type KillSwitchApi = Pick<
  Client<typeof killswitchV1.KillSwitchServiceDefinition>,
  "activate" | "deactivate" | "status"
>;
export type AuditApi = Pick<Client<typeof auditV1.AuditServiceDefinition>, "query" | "verify" | "export">;
export type PolicyApi = Pick<Client<typeof policyV1.PolicyServiceDefinition>, "getBundle">;

export const METRIC_SOURCES = ["policy", "killswitch", "approval", "audit"] as const;
export type MetricSource = (typeof METRIC_SOURCES)[number];

/** Every outbound port of the console (unit tests pass fakes). */
export interface Backends {
  approval(token: string): ApprovalApi;
  killSwitch(token: string): KillSwitchApi;
  audit(token: string): AuditApi;
  policy(token: string): PolicyApi;
  /** The Prometheus text of a service's /metrics; undefined when no URL is configured. */
  metrics(source: MetricSource): Promise<string | undefined>;
  close(): void;
}

export interface BackendAddresses {
  approval: string;
  killSwitch: string;
  audit: string;
  policy: string;
  metrics: Partial<Record<MetricSource, string>>;
  /** Time a unary call may take. */
  timeoutMs: number;
  /** gRPC transport security (WARDEN_TLS_*); default plaintext, for services run with GRPC_INSECURE=true. */
  tls?: ClientTls | boolean;
}

/**
 * A view of `client` whose every call sends `authorization: Bearer <token>` and, for unary calls,
 * gives up after `timeoutMs` (server streams are not cut: an export takes as long as it takes).
 */
function asPerson<C extends object>(
  client: C,
  token: string,
  timeoutMs: number,
  streams: readonly string[] = [],
): C {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      const stream = typeof prop === "string" && streams.includes(prop);
      return (request: unknown, options: { metadata?: Metadata; signal?: AbortSignal } = {}) => {
        const metadata = Metadata(options.metadata);
        metadata.set("authorization", `Bearer ${token}`);
        const signal = stream
          ? options.signal
          : AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]);
        return (value as (r: unknown, o: unknown) => unknown).call(target, request, {
          ...options,
          metadata,
          signal,
        });
      };
    },
  });
}

export function grpcBackends(addresses: BackendAddresses): Backends {
  const opts = { traceContext: true, tls: addresses.tls ?? false } as const;
  const approval = createGrpcClient(approvalV1.ApprovalServiceDefinition, addresses.approval, opts);
  const killSwitch = createGrpcClient(killswitchV1.KillSwitchServiceDefinition, addresses.killSwitch, opts);
  const audit = createGrpcClient(auditV1.AuditServiceDefinition, addresses.audit, opts);
  const policy = createGrpcClient(policyV1.PolicyServiceDefinition, addresses.policy, opts);
  const t = addresses.timeoutMs;
  return {
    approval: (token) => asPerson(approval.client, token, t),
    killSwitch: (token) => asPerson(killSwitch.client, token, t),
    audit: (token) => asPerson(audit.client, token, t, ["export"]),
    policy: (token) => asPerson(policy.client, token, t),
    async metrics(source) {
      const url = addresses.metrics[source];
      if (url === undefined) return undefined;
      const response = await fetch(url, { signal: AbortSignal.timeout(t) });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      return response.text();
    },
    close() {
      for (const c of [approval, killSwitch, audit, policy]) c.close();
    },
  };
}

/** WARDEN_TLS_*: TLS when WARDEN_TLS=true or any file or name is set; files checked now (ConfigError naming the key). */
export function backendTls(
  config: Pick<
    ConsoleConfig,
    | "WARDEN_TLS"
    | "WARDEN_TLS_CA_FILE"
    | "WARDEN_TLS_CERT_FILE"
    | "WARDEN_TLS_KEY_FILE"
    | "WARDEN_TLS_SERVER_NAME"
  >,
): ClientTls | boolean {
  const file = (path: string | undefined, name: string) => (path === undefined ? undefined : { path, name });
  const ca = file(config.WARDEN_TLS_CA_FILE, "WARDEN_TLS_CA_FILE");
  const cert = file(config.WARDEN_TLS_CERT_FILE, "WARDEN_TLS_CERT_FILE");
  const key = file(config.WARDEN_TLS_KEY_FILE, "WARDEN_TLS_KEY_FILE");
  const serverName = config.WARDEN_TLS_SERVER_NAME;
  if (
    !config.WARDEN_TLS &&
    ca === undefined &&
    cert === undefined &&
    key === undefined &&
    serverName === undefined
  ) {
    return false;
  }
  return clientTlsFromFiles({ ca, cert, key, serverName });
}
