import { readDescriptorSet } from "@warden/contracts";
import type { GrpcConfig } from "@warden/config";
import { createGrpcServer, serverTlsFromConfig } from "@warden/grpc";
import type { GrpcServer, GrpcServerOptions } from "@warden/grpc";
import { publishAccessRefusals } from "./access-refusals.ts";
import type { AccessRefusalOptions } from "./access-refusals.ts";

export type ServiceGrpcOptions = Pick<GrpcServerOptions, "logger" | "verifier" | "services" | "registry"> & {
  /** The `grpcKeys` of @warden/config: listen address and TLS (plaintext only with GRPC_INSECURE=true). */
  config: GrpcConfig;
  /**
   * Where refused calls are reported (`warden.access.refused.<service>`): required, so no service
   * can refuse a caller off the record.
   */
  refusals: AccessRefusalOptions;
};

/**
 * Creates the service's gRPC server (with reflection over Warden's descriptor set) and starts it,
 * with TLS from GRPC_TLS_*: a missing or bad certificate, or no TLS without GRPC_INSECURE=true, is a
 * ConfigError naming the key, and the service does not start.
 */
export async function startServiceGrpc(
  options: ServiceGrpcOptions,
): Promise<{ server: GrpcServer; port: number }> {
  const tls = serverTlsFromConfig(options.config, options.logger);
  const server = createGrpcServer({
    tls,
    logger: options.logger,
    verifier: options.verifier,
    services: options.services,
    descriptorSet: readDescriptorSet(),
    host: options.config.GRPC_HOST,
    port: options.config.GRPC_PORT,
    onRefusal: publishAccessRefusals(options.refusals),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
  });
  const { port } = await server.start();
  return { server, port };
}
