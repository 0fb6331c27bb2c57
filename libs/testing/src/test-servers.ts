import { loadNatsAuthority } from "@warden/nats-auth";
import type { NatsAuthority } from "@warden/nats-auth";
import { inject } from "vitest";
import { mintNatsCredentials, mintNatsCredsFile, type NatsCredentials } from "./nats-credentials.ts";

/** Addresses of the shared servers of a test run, provided by `global-setup.ts`. */
export interface TestServers {
  /** nats://host:port */
  natsUrl: string;
  /** host:port of the Temporal frontend */
  temporalAddress: string;
  /** mongodb://host:port/ */
  mongoUrl: string;
  /** Where the NATS authority's seeds are (nats-authority.json); empty when NATS runs without auth. */
  natsAuthDir: string;
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

/**
 * Credentials on the shared NATS for `identity` in `namespace`, to spread into connectNats:
 * `connectNats({ servers: testServers().natsUrl, name, ...(await natsCredentials("test-admin")) })`.
 * `"test-admin"` may do anything (set-up and inspection only); `"service:<name>"` and
 * `"agent:<id>"` get exactly their production permissions for `namespace`.
 */
export async function natsCredentials(
  identity: string,
  options: { namespace?: string } = {},
): Promise<NatsCredentials> {
  return mintNatsCredentials(testServers().natsAuthDir, identity, options);
}

/** The same as a .creds file path, for a service config's NATS_CREDS or a child process's env. */
export async function natsCredsFile(
  identity: string,
  options: { namespace?: string } = {},
): Promise<string | undefined> {
  return mintNatsCredsFile(testServers().natsAuthDir, identity, options);
}

/**
 * The shared NATS's authority (undefined when it runs without auth): give it to
 * `startNatsCluster(3, { auth })` so a cluster accepts the same `natsCredentials` / `natsCredsFile`.
 */
export function harnessNatsAuthority(): NatsAuthority | undefined {
  const dir = testServers().natsAuthDir;
  return dir === "" ? undefined : loadNatsAuthority(dir);
}
