// The in-memory fake against the BundleSource contract; test/bundle-source-contract.test.ts runs the
// same suite against the directory adapter.
import { describeBundleSourceContract } from "../../testing/bundle-source-contract.ts";
import { createInMemoryBundleSource } from "./in-memory-bundle-source.ts";

describeBundleSourceContract("createInMemoryBundleSource", (files) => {
  const source = createInMemoryBundleSource(files);
  return Promise.resolve({
    source,
    set: (path, text) => {
      source.set(path, text);
      return Promise.resolve();
    },
  });
});
