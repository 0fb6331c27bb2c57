import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { BundleError, BundleIssue } from "@warden/policy";
import { formatIssue } from "@warden/policy";
import { CliInputError } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";

/** Fails with one clear line when `dir` is missing, not a directory or unreadable. */
export async function assertBundleDir(dir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliInputError([
      code === "ENOENT" ? `${dir}: no such directory` : `${dir}: cannot read (${code ?? String(err)})`,
    ]);
  }
  if (!isDir) throw new CliInputError([`${dir}: not a directory (expected a policy bundle directory)`]);
}

/** The issue with its file relative to the working directory, so editors and CI can jump to it. */
export function locatedIssue(dir: string, issue: BundleIssue): BundleIssue {
  return { ...issue, file: join(dir, issue.file) };
}

/** `DIR: policy bundle is invalid (N problems)` then one `file:line:col field: reason` line each, on stderr. */
export function printBundleIssues(dir: string, error: BundleError, io: CliIo): void {
  const n = error.issues.length;
  io.err(`${dir}: policy bundle is invalid (${n} problem${n === 1 ? "" : "s"})\n`);
  for (const issue of error.issues) io.err(`${formatIssue(locatedIssue(dir, issue))}\n`);
}
