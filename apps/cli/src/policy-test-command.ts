import { join } from "node:path";
import type { PolicyTestReport } from "@warden/policy";
import { BundleError, createFsBundleSource, runPolicyTests } from "@warden/policy";
import { assertBundleDir, locatedIssue, printBundleIssues } from "./bundle-dir.ts";
import { CliInputError, EXIT } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import {
  formatTestReportJson,
  formatTestReportJunit,
  formatTestReportText,
  summaryLine,
} from "./format-test-report.ts";

export const TEST_FORMATS = ["text", "json", "junit"] as const;
export type TestFormat = (typeof TEST_FORMATS)[number];

export interface PolicyTestOptions {
  readonly verbose: boolean;
  readonly format: TestFormat;
}

/**
 * `warden policy test DIR`: runs the bundle's tests/*.yaml. Exit 0 all passed, 1 some failed,
 * 2 the bundle or a test file is invalid (its issues printed) or there are no tests.
 * With json / junit, stdout carries only the document and the summary line goes to stderr.
 */
export async function policyTest(dir: string, options: PolicyTestOptions, io: CliIo): Promise<number> {
  await assertBundleDir(dir);
  let report: PolicyTestReport;
  try {
    report = await runPolicyTests(createFsBundleSource(dir));
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    printBundleIssues(dir, err, io);
    if (options.format === "json") {
      const issues = err.issues.map((issue) => locatedIssue(dir, issue));
      io.out(`${JSON.stringify({ error: "invalid", issues }, null, 2)}\n`);
    }
    return EXIT.invalid;
  }
  if (report.results.length === 0) {
    throw new CliInputError([`${join(dir, "tests")}: no policy tests (add *.yaml test files there)`]);
  }
  switch (options.format) {
    case "text":
      io.out(formatTestReportText(dir, report, options.verbose));
      break;
    case "json":
      io.out(formatTestReportJson(dir, report));
      io.err(`${summaryLine(report)}\n`);
      break;
    case "junit":
      io.out(formatTestReportJunit(dir, report));
      io.err(`${summaryLine(report)}\n`);
      break;
  }
  return report.failed > 0 ? EXIT.failed : EXIT.ok;
}
