import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type ServerName =
  | "nats"
  | "temporal"
  | "ferretdb"
  | "testserver"
  | "promtool"
  | "helm"
  | "kubeconform"
  | "k8s-schemas"
  | "promtool-full";

const buildScript = fileURLToPath(new URL("../../../scripts/build-servers.sh", import.meta.url));
const cache = new Map<ServerName, string>();

/**
 * Path of a server binary built by `scripts/build-servers.sh` (the script owns the versions and the
 * cache layout under $WARDEN_CACHE, default ~/.cache/warden). Throws when it has not been built.
 */
export function serverBinary(server: ServerName): string {
  let path = cache.get(server);
  if (path === undefined) {
    path = execFileSync(buildScript, ["path", server], { encoding: "utf8" }).trim();
    cache.set(server, path);
  }
  if (!existsSync(path)) {
    throw new Error(`${server} binary not found at ${path}; run \`make servers\` to build it`);
  }
  return path;
}
