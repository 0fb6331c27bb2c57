// Everything that starts or probes a server, without the vitest-only parts (scripts import this).
export { startMongo, mongoAnswers, type MongoServer } from "./mongo.ts";
export {
  startNats,
  startNatsCluster,
  natsAnswers,
  type NatsCluster,
  type NatsClusterNode,
  type NatsOptions,
  type NatsServer,
} from "./nats.ts";
export { mintNatsCredentials, mintNatsCredsFile, type NatsCredentials } from "./nats-credentials.ts";
export { serverBinary, type ServerName } from "./server-binary.ts";
export {
  freePort,
  launch,
  pidAlive,
  portIsFree,
  stopPid,
  ServerStartError,
  type LaunchSpec,
  type ServerHandle,
  type ServerOptions,
} from "./server-process.ts";
export {
  startTemporalDev,
  temporalDbFile,
  temporalAnswers,
  temporalUiAnswers,
  wardenSearchAttributes,
  type TemporalDevOptions,
  type TemporalDevServer,
} from "./temporal-dev.ts";
export { startTimeSkipping, type TimeSkippingServer } from "./time-skipping.ts";
export { uniqueName } from "./unique-name.ts";
export { runPromtool, type PromtoolResult } from "./promtool.ts";
export { startServiceProcess, type ServiceProcess } from "./service-process.ts";
