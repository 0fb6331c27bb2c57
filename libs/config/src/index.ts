export { ConfigError, formatIssue } from "./config-error.ts";
export type { ConfigIssue } from "./config-error.ts";
export { parseConfig, fromEnv, describeOf } from "./parse-config.ts";
export type { EnvSource, EnvKey, ConfigMapping, MappedConfig } from "./parse-config.ts";
export {
  url,
  natsUrl,
  mongoUrl,
  hostPort,
  port,
  integer,
  logLevel,
  logLevels,
  duration,
  bool,
  list,
  oneOf,
  secret,
  serviceKeys,
} from "./keys.ts";
export type { LogLevel } from "./keys.ts";
export {
  natsKeys,
  namespaceKey,
  grpcKeys,
  identityKeys,
  hasTokenKeySource,
  tokenKeySourceIssue,
} from "./key-sets.ts";
export type { GrpcConfig, IdentityConfig, NatsConfig } from "./key-sets.ts";
export { z } from "zod";
