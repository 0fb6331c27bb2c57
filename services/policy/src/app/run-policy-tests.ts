import type { BundleIssue } from "../domain/bundle-error.ts";
import { BundleError } from "../domain/bundle-error.ts";
import { compileBundle } from "../domain/compile-bundle.ts";
import type { Evaluator } from "../domain/evaluator.ts";
import { createEvaluator } from "../domain/evaluator.ts";
import type { PolicyTestCase, PolicyTestResult } from "../domain/policy-test.ts";
import { parsePolicyTestFile, runPolicyTestCase } from "../domain/policy-test.ts";
import type { BundleSource } from "./bundle-source.ts";

export interface PolicyTestReport {
  readonly bundle: { readonly name: string; readonly digest: string };
  readonly passed: number;
  readonly failed: number;
  readonly results: readonly PolicyTestResult[];
}

/**
 * Loads the bundle and runs every test in its tests/ directory (`warden policy test DIR`).
 * Throws BundleError when the bundle or a test file is invalid (CI: exit code 2); otherwise the
 * report says which tests failed (CI: exit code 1 when `failed > 0`).
 */
export async function runPolicyTests(source: BundleSource): Promise<PolicyTestReport> {
  const { policyFiles, testFiles } = await source.read();
  const bundleIssues: BundleIssue[] = [];
  let evaluator: Evaluator | undefined;
  try {
    evaluator = createEvaluator(compileBundle(policyFiles));
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    bundleIssues.push(...err.issues);
  }
  const cases: PolicyTestCase[] = [];
  for (const [name, text] of testFiles) {
    const parsed = parsePolicyTestFile(name, text);
    if (parsed.ok) cases.push(...parsed.cases);
    else bundleIssues.push(...parsed.issues);
  }
  if (bundleIssues.length > 0 || evaluator === undefined) throw new BundleError(bundleIssues);
  const results = cases.map((c) => runPolicyTestCase(evaluator, c));
  const failed = results.filter((r) => !r.passed).length;
  return {
    bundle: { name: evaluator.bundle.name, digest: evaluator.bundle.digest },
    passed: results.length - failed,
    failed,
    results,
  };
}
