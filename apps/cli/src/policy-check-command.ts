import { BundleError, createFsBundleSource, loadBundle } from "@warden/policy";
import { assertBundleDir, locatedIssue, printBundleIssues } from "./bundle-dir.ts";
import { EXIT } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";

/**
 * `warden policy check DIR`: loads and validates the bundle (policy files; tests/ is `policy test`'s).
 * With `json`: `{ ok: true, digest, rules, agents, workflows }` or `{ ok: false, issues }` on stdout.
 */
export async function policyCheck(dir: string, io: CliIo, json = false): Promise<number> {
  await assertBundleDir(dir);
  try {
    const bundle = await loadBundle(createFsBundleSource(dir));
    if (json) {
      io.out(
        `${JSON.stringify({ ok: true, digest: bundle.digest, rules: bundle.rules.length, agents: bundle.agents.size, workflows: bundle.workflows.size })}\n`,
      );
      return EXIT.ok;
    }
    io.out(
      `ok ${bundle.digest} (${bundle.rules.length} rules, ${bundle.agents.size} agents, ${bundle.workflows.size} workflows)\n`,
    );
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    if (json)
      io.out(`${JSON.stringify({ ok: false, issues: err.issues.map((i) => locatedIssue(dir, i)) })}\n`);
    printBundleIssues(dir, err, io);
    return EXIT.failed;
  }
}
