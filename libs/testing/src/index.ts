export * from "./servers.ts";
export { testServers, type TestServers } from "./test-servers.ts";
