import { createFsBundleSource } from "../adapters/fs/fs-bundle-source.ts";
import type { Bundle } from "../domain/bundle.ts";
import { compileBundle } from "../domain/compile-bundle.ts";
import type { BundleSource } from "./bundle-source.ts";

/** Reads and compiles a bundle (a directory path or any source); throws BundleError listing every problem. */
export async function loadBundle(from: string | BundleSource): Promise<Bundle> {
  const source = typeof from === "string" ? createFsBundleSource(from) : from;
  const { policyFiles } = await source.read();
  return compileBundle(policyFiles);
}
