import { BundleError, createFsBundleSource, loadBundle } from "@warden/policy";
import { assertBundleDir, printBundleIssues } from "./bundle-dir.ts";
import { EXIT } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";

/** `warden policy check DIR`: loads and validates the bundle (policy files; tests/ is `policy test`'s). */
export async function policyCheck(dir: string, io: CliIo): Promise<number> {
  await assertBundleDir(dir);
  try {
    const bundle = await loadBundle(createFsBundleSource(dir));
    io.out(
      `ok ${bundle.digest} (${bundle.rules.length} rules, ${bundle.agents.size} agents, ${bundle.workflows.size} workflows)\n`,
    );
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    printBundleIssues(dir, err, io);
    return EXIT.failed;
  }
}
