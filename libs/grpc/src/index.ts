export {
  AlreadyExistsError,
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  isWardenError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnavailableError,
  WardenError,
} from "./errors.ts";
export type { FieldViolation, WardenErrorCode } from "./errors.ts";
export {
  errorMappingMiddleware,
  knownServerError,
  STATUS_BY_ERROR_CODE,
} from "./error-mapping-middleware.ts";
export { loggingMiddleware } from "./logging-middleware.ts";
export { metricsMiddleware } from "./metrics-middleware.ts";
export type { LogFields, LoggingCallContext } from "./logging-middleware.ts";
export { authMiddleware, requireRole } from "./auth-middleware.ts";
export type { AuthCallContext, AuthMiddlewareOptions, TokenVerifier } from "./auth-middleware.ts";
export { createTerminator } from "./terminator-middleware.ts";
export type { Terminator, TerminatorCallContext } from "./terminator-middleware.ts";
export { grpcService, publicGrpcService } from "./grpc-service.ts";
export type {
  BaseCallContext,
  GrpcServiceRegistration,
  MethodRoles,
  PublicCallContext,
  PublicServiceImplementation,
  WardenCallContext,
  WardenServiceImplementation,
} from "./grpc-service.ts";
export { createGrpcServer, HEALTH_SERVICE_NAME, REFLECTION_SERVICE_NAME } from "./create-grpc-server.ts";
export type { GrpcServer, GrpcServerOptions } from "./create-grpc-server.ts";
export { bearerTokenMiddleware, createGrpcClient } from "./create-grpc-client.ts";
export type { GrpcClient, GrpcClientOptions, TokenSource } from "./create-grpc-client.ts";
export { ServerError, Status } from "nice-grpc-common";
export { refusalMiddleware } from "./refusal-middleware.ts";
export type { GrpcRefusal, RefusalListener } from "./refusal-middleware.ts";
export { clientTlsFromFiles, insecureServerTls, serverTlsFromConfig } from "./tls.ts";
export type { ClientTlsFiles, GrpcTlsMode, ServerTls, ServerTlsConfig } from "./tls.ts";
export type { ClientTls } from "./create-grpc-client.ts";
