// The example bundle in the repository (governance/), for unit tests that evaluate real policy.
import { fileURLToPath } from "node:url";
import { createFsBundleSource } from "../adapters/fs/fs-bundle-source.ts";
import type { BundleSource } from "../app/bundle-source.ts";
import { loadBundle } from "../app/load-bundle.ts";
import type { Bundle } from "../domain/bundle.ts";

export const GOVERNANCE_DIR = fileURLToPath(new URL("../../../../governance", import.meta.url));

export function governanceSource(): BundleSource {
  return createFsBundleSource(GOVERNANCE_DIR);
}

export function loadGovernanceBundle(): Promise<Bundle> {
  return loadBundle(governanceSource());
}
