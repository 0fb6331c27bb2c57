import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BundleSnapshot, BundleSource } from "../../app/ports.ts";
import { BundleError } from "../../domain/bundle-error.ts";

const YAML = /\.ya?ml$/;

async function yamlFiles(dir: string, prefix: string, optional: boolean): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (optional && code === "ENOENT") return files;
    throw new BundleError([
      {
        file: prefix === "" ? dir : prefix,
        line: 0,
        col: 0,
        field: "",
        reason: `cannot read directory: ${code ?? String(err)}`,
      },
    ]);
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() || !YAML.test(entry.name)) continue;
    files.set(prefix + entry.name, await readFile(join(dir, entry.name), "utf8"));
  }
  return files;
}

/** Reads a bundle directory: top-level *.yaml are policy files, tests/*.yaml are policy tests. */
export function createFsBundleSource(dir: string): BundleSource {
  return {
    origin: dir,
    async read(): Promise<BundleSnapshot> {
      const [policyFiles, testFiles] = await Promise.all([
        yamlFiles(dir, "", false),
        yamlFiles(join(dir, "tests"), "tests/", true),
      ]);
      return { policyFiles, testFiles };
    },
  };
}
