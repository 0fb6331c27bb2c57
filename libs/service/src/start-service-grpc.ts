import { readDescriptorSet } from "@warden/contracts";
import { createGrpcServer } from "@warden/grpc";
import type { GrpcServer, GrpcServerOptions } from "@warden/grpc";
import { publishAccessRefusals } from "./access-refusals.ts";
import type { AccessRefusalOptions } from "./access-refusals.ts";

export type ServiceGrpcOptions = Pick<GrpcServerOptions, "logger" | "verifier" | "services" | "registry"> & {
  /** The GRPC_HOST and GRPC_PORT keys. */
  config: { GRPC_HOST: string; GRPC_PORT: number };
  /**
   * Where refused calls are reported (`warden.access.refused.<service>`): required, so no service
   * can refuse a caller off the record.
   */
  refusals: AccessRefusalOptions;
};

/** Creates the service's gRPC server (with reflection over Warden's descriptor set) and starts it. */
export async function startServiceGrpc(
  options: ServiceGrpcOptions,
): Promise<{ server: GrpcServer; port: number }> {
  const server = createGrpcServer({
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
