import { inject } from "vitest";

/** Addresses of the shared servers of a test run, provided by `global-setup.ts`. */
export interface TestServers {
  /** nats://host:port */
  natsUrl: string;
  /** host:port of the Temporal frontend */
  temporalAddress: string;
  /** mongodb://host:port/ */
  mongoUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    wardenServers: TestServers;
  }
}

/** The shared servers, inside a test file of the integration or e2e project. */
export function testServers(): TestServers {
  return inject("wardenServers");
}
