export * from "./servers.ts";
export {
  harnessNatsAuthority,
  natsCredentials,
  natsCredsFile,
  testServers,
  type TestServers,
} from "./test-servers.ts";
export type { NatsCredentials } from "./nats-credentials.ts";
