// The BundleSource contract (STYLE.md item 17): one suite that the in-memory fake (a unit test) and
// the directory adapter (test/bundle-source-contract.test.ts, on a temporary directory) both pass.
// `make(files)` returns a source holding `files` (path → text, "tests/…" under the tests directory)
// and `set`, which changes one file (undefined removes it) as an edit of the bundle would.
import { describe, expect, it } from "vitest";
import type { BundleSource } from "../app/ports.ts";

export interface BundleSourceUnderTest {
  readonly source: BundleSource;
  readonly set: (path: string, text: string | undefined) => Promise<void>;
}

export function describeBundleSourceContract(
  name: string,
  make: (files: Readonly<Record<string, string>>) => Promise<BundleSourceUnderTest>,
): void {
  describe(`BundleSource contract: ${name}`, () => {
    it("reads top-level YAML files as policy files and tests/*.yaml as policy tests", async () => {
      const { source } = await make({
        "bundle.yaml": "name: x\n",
        "rules.yml": "rules: []\n",
        "tests/deploys.yaml": "cases: []\n",
      });
      expect(source.origin).not.toBe("");
      const snapshot = await source.read();
      expect(snapshot.policyFiles).toEqual(
        new Map([
          ["bundle.yaml", "name: x\n"],
          ["rules.yml", "rules: []\n"],
        ]),
      );
      expect(snapshot.testFiles).toEqual(new Map([["tests/deploys.yaml", "cases: []\n"]]));
    });

    it("leaves out what is not a policy or test file: other extensions, other directories", async () => {
      const { source } = await make({
        "bundle.yaml": "name: x\n",
        "README.md": "# notes\n",
        "rules.yaml.bak": "rules: [old]\n",
        "docs/example.yaml": "not: policy\n",
        "tests/deploys.yaml": "cases: []\n",
        "tests/notes.txt": "todo\n",
        "tests/fixtures/input.yaml": "deeper: ignored\n",
      });
      const snapshot = await source.read();
      expect([...snapshot.policyFiles.keys()]).toEqual(["bundle.yaml"]);
      expect([...snapshot.testFiles.keys()]).toEqual(["tests/deploys.yaml"]);
    });

    it("lists files in name order", async () => {
      const { source } = await make({ "b.yaml": "b\n", "a.yaml": "a\n", "c.yaml": "c\n" });
      expect([...(await source.read()).policyFiles.keys()]).toEqual(["a.yaml", "b.yaml", "c.yaml"]);
    });

    it("reads the files as they are now: each read sees changes, additions and removals", async () => {
      const { source, set } = await make({ "bundle.yaml": "name: x\n", "rules.yaml": "rules: []\n" });
      const before = await source.read();
      await set("bundle.yaml", "name: y\n");
      await set("rules.yaml", undefined);
      await set("tests/new.yaml", "cases: []\n");
      const after = await source.read();
      expect(after.policyFiles).toEqual(new Map([["bundle.yaml", "name: y\n"]]));
      expect(after.testFiles).toEqual(new Map([["tests/new.yaml", "cases: []\n"]]));
      // A snapshot is a snapshot: the earlier one is unchanged.
      expect(before.policyFiles.get("bundle.yaml")).toBe("name: x\n");
      expect(before.policyFiles.has("rules.yaml")).toBe(true);
    });

    it("an empty bundle without a tests directory reads as no files", async () => {
      const { source } = await make({});
      expect(await source.read()).toEqual({ policyFiles: new Map(), testFiles: new Map() });
    });
  });
}
