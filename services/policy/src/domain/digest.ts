import { createHash } from "node:crypto";

/**
 * Content digest of a bundle: SHA-256 over the files sorted by name, each framed as
 * `name \n byteLength \n content \n` so no two different bundles share an input.
 */
export function bundleDigest(files: ReadonlyMap<string, string>): string {
  const hash = createHash("sha256");
  for (const name of [...files.keys()].sort()) {
    const content = files.get(name) ?? "";
    hash.update(`${name}\n${Buffer.byteLength(content, "utf8")}\n`);
    hash.update(content, "utf8");
    hash.update("\n");
  }
  return `sha256:${hash.digest("hex")}`;
}
