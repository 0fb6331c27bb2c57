export { runService } from "./run-service.ts";
export type {
  RunServiceOptions,
  ServiceHost,
  ServiceTelemetry,
  StartedService,
  TraceConfig,
} from "./run-service.ts";
export { createVerifier } from "./create-verifier.ts";
export type { VerifierFactories } from "./create-verifier.ts";
export { connectServiceNats } from "./connect-service-nats.ts";
export type { ServiceNats, ServiceNatsOptions } from "./connect-service-nats.ts";
export { startServiceGrpc } from "./start-service-grpc.ts";
export type { ServiceGrpcOptions } from "./start-service-grpc.ts";
export { natsHealth, stopStateHealth } from "./health-checks.ts";
export { accessRefusedData, publishAccessRefusals } from "./access-refusals.ts";
export type { AccessRefusalOptions } from "./access-refusals.ts";
