// Fixtures for this package's tests: the example bundle and edited copies of it.
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const GOVERNANCE = join(REPO_ROOT, "governance");

/** `N passed, M failed` on its own line. */
export const SUMMARY = /^(\d+) passed, (\d+) failed$/m;

/** Copies governance/ to `parent/name`. */
export async function copyGovernance(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await cp(GOVERNANCE, dir, { recursive: true });
  return dir;
}

/** Copies governance/ to `parent/name` and applies `edit` to one file, which must change. */
export async function governanceVariant(
  parent: string,
  name: string,
  file: string,
  edit: (text: string) => string,
): Promise<string> {
  const dir = await copyGovernance(parent, name);
  const path = join(dir, file);
  const before = await readFile(path, "utf8");
  const after = edit(before);
  if (after === before) throw new Error(`fixture ${name}: the edit did not change ${file}`);
  await writeFile(path, after);
  return dir;
}

/** The first source-material test expects the $5,000 transaction to be denied; expect allow instead. */
export const flipFirstExpectation = (text: string): string => text.replace("outcome: deny", "outcome: allow");

/** A CEL type error in rules.yaml (transaction.limit). */
export const breakRule = (text: string): string =>
  text.replace("request.amount > agent", "request.amont > agent");
