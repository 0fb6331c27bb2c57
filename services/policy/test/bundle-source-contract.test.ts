// The directory adapter against the BundleSource contract, on a temporary directory per case; the
// in-memory fake passes the same suite as a unit test (src/adapters/fakes/in-memory-bundle-source.test.ts).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";
import { createFsBundleSource } from "../src/adapters/fs/fs-bundle-source.ts";
import { describeBundleSourceContract } from "../src/testing/bundle-source-contract.ts";

const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function put(dir: string, path: string, text: string | undefined): Promise<void> {
  const file = join(dir, path);
  if (text === undefined) return rm(file, { force: true });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

describeBundleSourceContract("createFsBundleSource", async (files) => {
  const dir = await mkdtemp(join(tmpdir(), "warden-bundle-source-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) await put(dir, path, text);
  return { source: createFsBundleSource(dir), set: (path, text) => put(dir, path, text) };
});
