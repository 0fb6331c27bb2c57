import type { Bundle } from "../domain/bundle.ts";
import { compileBundle } from "../domain/compile-bundle.ts";
import type { BundleSource } from "./bundle-source.ts";

/** Reads and compiles a bundle from any source; throws BundleError listing every problem. */
export async function loadBundle(source: BundleSource): Promise<Bundle> {
  const { policyFiles } = await source.read();
  return compileBundle(policyFiles);
}
