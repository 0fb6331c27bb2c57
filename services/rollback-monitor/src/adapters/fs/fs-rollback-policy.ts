// Reads the rollback section of the policy bundle (rollback.yaml in the bundle directory).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { parseRollbackPolicy } from "../../domain/rollback-policy.ts";
import type { RollbackPolicy } from "../../domain/rollback-policy.ts";

export async function loadRollbackPolicy(bundleDir: string): Promise<RollbackPolicy> {
  const file = join(bundleDir, "rollback.yaml");
  return parseRollbackPolicy(parse(await readFile(file, "utf8")) as unknown);
}
