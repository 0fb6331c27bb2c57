import { createServer } from "nice-grpc";
import type { ChannelOptions } from "nice-grpc";
import { openTelemetryServerMiddleware } from "nice-grpc-opentelemetry";
import { HealthDefinition, HealthServiceImpl, HealthState } from "nice-grpc-server-health";
import { ServerReflection, ServerReflectionService } from "nice-grpc-server-reflection";
import { childLogger, rpcMetrics } from "@warden/telemetry";
import type { Logger, Registry } from "@warden/telemetry";
import { authMiddleware } from "./auth-middleware.ts";
import type { TokenVerifier } from "./auth-middleware.ts";
import { errorMappingMiddleware } from "./error-mapping-middleware.ts";
import type { GrpcServiceRegistration } from "./grpc-service.ts";
import { loggingMiddleware } from "./logging-middleware.ts";
import { metricsMiddleware } from "./metrics-middleware.ts";
import { refusalMiddleware } from "./refusal-middleware.ts";
import type { RefusalListener } from "./refusal-middleware.ts";
import { createTerminator } from "./terminator-middleware.ts";
import { insecureServerTls } from "./tls.ts";
import type { ServerTls } from "./tls.ts";

export const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";
export const REFLECTION_SERVICE_NAME = "grpc.reflection.v1.ServerReflection";

export type GrpcServerOptions = {
  logger: Logger;
  verifier: TokenVerifier;
  services: readonly GrpcServiceRegistration[];
  /** Protobuf-encoded google.protobuf.FileDescriptorSet (with imports) of `services`; enables reflection. */
  descriptorSet?: Uint8Array;
  host: string;
  /** 0 picks a free port; `start()` returns the bound one. */
  port: number;
  /**
   * Time between reporting NOT_SERVING and closing the listener at shutdown, so load balancers and
   * health watchers move traffic away first. Default 0.
   */
  drainDelayMs?: number;
  /** grpc-js server options, e.g. `grpc.max_receive_message_length`. */
  channelOptions?: ChannelOptions;
  /** The service's metrics registry: per-call count and latency by method and status code. */
  registry?: Registry;
  /**
   * Told of every UNAUTHENTICATED / PERMISSION_DENIED answer before it is sent (libs/service publishes
   * it as `warden.access.refused.<service>`, so the audit holds every refused attempt).
   */
  onRefusal?: RefusalListener;
  /**
   * Transport security (`serverTlsFromConfig`); default plaintext. Services get it from their
   * GRPC_TLS_* keys through `startServiceGrpc`, which refuses plaintext unless GRPC_INSECURE=true.
   */
  tls?: ServerTls;
};

export type GrpcServer = {
  /** Binds, then reports SERVING for the server ("") and every registered service. */
  start(): Promise<{ port: number }>;
  /**
   * NOT_SERVING everywhere → wait `drainDelayMs` → end opted-in endless streams → stop accepting and
   * let in-flight calls finish for up to `graceMs` → cancel whatever is left. Resolves when closed.
   */
  shutdown(graceMs: number): Promise<void>;
  /** Report a service (or, without a name, the whole server) as SERVING or NOT_SERVING. */
  setServing(serving: boolean, serviceName?: string): void;
};

/**
 * The gRPC server every Warden service runs. Middleware order (outermost first):
 * telemetry → metrics (with `registry`) → logging → error mapping → refusals (with `onRefusal`) →
 * terminator → auth (authenticated services only).
 * Health and reflection are mounted without auth.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const logger = childLogger(options.logger, "grpc");
  const serviceNames = options.services.map((s) => s.serviceName);
  const duplicate = serviceNames.find((name, i) => serviceNames.indexOf(name) !== i);
  if (duplicate !== undefined) throw new Error(`service ${duplicate} registered twice`);

  const health = HealthState();
  const allStatusKeys = ["", ...serviceNames];
  for (const key of allStatusKeys) health.setStatus("unhealthy", key);

  const terminator = createTerminator();
  const traced = createServer(options.channelOptions).use(openTelemetryServerMiddleware());
  const measured =
    options.registry === undefined ? traced : traced.use(metricsMiddleware(rpcMetrics(options.registry)));
  const mapped = measured.use(loggingMiddleware(logger)).use(errorMappingMiddleware());
  const server = (
    options.onRefusal === undefined ? mapped : mapped.use(refusalMiddleware(options.onRefusal))
  ).use(terminator.middleware);

  server.add(HealthDefinition, HealthServiceImpl(health));
  if (options.descriptorSet !== undefined) {
    // Listed: the registered services and health (describing health needs its file in the set).
    server.add(
      ServerReflectionService,
      ServerReflection(options.descriptorSet, [...serviceNames, HEALTH_SERVICE_NAME]),
    );
  }
  const auth = (rolesFor: (path: string) => readonly string[] | undefined) =>
    authMiddleware({ verifier: options.verifier, rolesFor });
  for (const service of options.services) service.mount(server, auth);

  const tls = options.tls ?? insecureServerTls();
  let state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  let stopped: Promise<void> | undefined;

  return {
    async start() {
      if (state !== "new") throw new Error(`grpc server cannot start: it is ${state}`);
      state = "starting";
      const address = `${options.host.includes(":") && !options.host.startsWith("[") ? `[${options.host}]` : options.host}:${options.port}`;
      const port = await server.listen(address, tls.credentials).catch((err: unknown) => {
        tls.close();
        throw err;
      });
      state = "running";
      for (const key of allStatusKeys) health.setStatus("healthy", key);
      logger.info(
        {
          address,
          port,
          tls: tls.mode,
          services: serviceNames,
          reflection: options.descriptorSet !== undefined,
        },
        "grpc server listening",
      );
      return { port };
    },

    shutdown(graceMs) {
      stopped ??= (async () => {
        const wasRunning = state === "running";
        state = "stopping";
        for (const key of allStatusKeys) health.setStatus("unhealthy", key);
        if (wasRunning && (options.drainDelayMs ?? 0) > 0) await sleep(options.drainDelayMs ?? 0);
        terminator.terminate();
        const graceful = server.shutdown().then(() => true);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), graceMs);
        });
        const finished = await Promise.race([graceful, timeout]);
        clearTimeout(timer);
        if (!finished) {
          logger.warn({ graceMs }, "grpc calls still in flight after grace period; cancelling them");
          server.forceShutdown();
          await graceful;
        }
        tls.close();
        state = "stopped";
        logger.info({ graceful: finished }, "grpc server stopped");
      })();
      return stopped;
    },

    setServing(serving, serviceName = "") {
      if (!allStatusKeys.includes(serviceName)) throw new Error(`unknown service ${serviceName}`);
      if (state !== "running") return;
      health.setStatus(serving ? "healthy" : "unhealthy", serviceName);
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
