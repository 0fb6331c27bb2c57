import type { BundleSnapshot, BundleSource } from "../../app/ports.ts";

/** A bundle held in memory: `tests/…` names are test files, the others policy files. Mutable, for reload tests. */
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
      for (const [name, text] of current)
        (name.startsWith("tests/") ? testFiles : policyFiles).set(name, text);
      return Promise.resolve({ policyFiles, testFiles });
    },
  };
}
