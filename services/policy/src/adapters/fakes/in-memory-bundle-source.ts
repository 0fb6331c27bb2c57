import type { BundleSnapshot, BundleSource } from "../../app/ports.ts";

const YAML = /\.ya?ml$/;

/**
 * A bundle held in memory, read like the directory adapter reads a bundle directory (the contract in
 * src/testing/bundle-source-contract.ts): top-level `*.yaml` are policy files, `tests/*.yaml` test
 * files, anything else is left out; names in order. Mutable, for reload tests.
 */
export function createInMemoryBundleSource(files: Readonly<Record<string, string>>): BundleSource & {
  set(name: string, text: string | undefined): void;
} {
  const current = new Map(Object.entries(files));
  return {
    origin: "memory",
    set(name, text) {
      if (text === undefined) current.delete(name);
      else current.set(name, text);
    },
    read(): Promise<BundleSnapshot> {
      const policyFiles = new Map<string, string>();
      const testFiles = new Map<string, string>();
      const names = [...current.keys()].filter((name) => YAML.test(name)).sort((a, b) => a.localeCompare(b));
      for (const name of names) {
        const text = current.get(name) ?? "";
        const parts = name.split("/");
        if (parts.length === 1) policyFiles.set(name, text);
        else if (parts.length === 2 && parts[0] === "tests") testFiles.set(name, text);
      }
      return Promise.resolve({ policyFiles, testFiles });
    },
  };
}
