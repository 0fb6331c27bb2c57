// No package declares one dependency twice (in dependencies and devDependencies, say): which of the
// two ranges wins is pnpm's choice, not ours. Undeclared imports are eslint's (no-extraneous-dependencies).
import { existsSync, globSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
// The sections pnpm installs from. A peerDependency repeated in devDependencies is the usual idiom
// (the package is tested against one version of what its users provide), so peers are not counted.
const SECTIONS = ["dependencies", "devDependencies", "optionalDependencies"] as const;

const manifestSchema = z.object({
  name: z.string().optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  devDependencies: z.record(z.string(), z.string()).optional(),
  peerDependencies: z.record(z.string(), z.string()).optional(),
  optionalDependencies: z.record(z.string(), z.string()).optional(),
});
type Manifest = z.infer<typeof manifestSchema>;

function workspaceManifests(): string[] {
  const workspace = z
    .object({ packages: z.array(z.string()) })
    .parse(parse(readFileSync(`${REPO}pnpm-workspace.yaml`, "utf8")));
  const dirs = workspace.packages.flatMap((pattern) => globSync(pattern, { cwd: REPO }));
  // A folder left behind with only node_modules (a moved package) is no workspace package.
  const manifests = dirs.map((dir) => `${dir}/package.json`).filter((path) => existsSync(`${REPO}${path}`));
  return ["package.json", ...manifests].sort();
}

/** Names declared in more than one section, with the sections. */
function doublyDeclared(manifest: Manifest): string[] {
  const seen = new Map<string, string[]>();
  for (const section of SECTIONS) {
    for (const name of Object.keys(manifest[section] ?? {}))
      seen.set(name, [...(seen.get(name) ?? []), section]);
  }
  return [...seen]
    .filter(([, sections]) => sections.length > 1)
    .map(([name, s]) => `${name} (${s.join(", ")})`);
}

describe("workspace package.json files", () => {
  const manifests = workspaceManifests();

  it("finds every workspace package", () => {
    expect(manifests).toEqual(
      expect.arrayContaining(["package.json", "services/policy/package.json", "libs/messaging/package.json"]),
    );
  });

  it.each(manifests)("%s declares each dependency once", (path) => {
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(`${REPO}${path}`, "utf8")));
    expect(doublyDeclared(manifest)).toEqual([]);
  });

  it("the check reports a dependency declared twice", () => {
    expect(
      doublyDeclared({
        dependencies: { "@nats-io/kv": "^3.4.0" },
        devDependencies: { "@nats-io/kv": "^3.4.0" },
      }),
    ).toEqual(["@nats-io/kv (dependencies, devDependencies)"]);
  });
});
