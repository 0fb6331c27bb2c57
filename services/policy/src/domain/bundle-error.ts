/** One problem in a bundle, located in its source file. */
export interface BundleIssue {
  /** File name relative to the bundle directory, e.g. `rules.yaml` or `tests/matrix.yaml`. */
  readonly file: string;
  /** 1-based; 0 when the problem is the file as a whole (missing, unreadable). */
  readonly line: number;
  readonly col: number;
  /** Path inside the file, e.g. `rules[2].when`; empty for the whole file. */
  readonly field: string;
  readonly reason: string;
}

/** `file:line:col field: reason` */
export function formatIssue(issue: BundleIssue): string {
  const field = issue.field === "" ? "" : ` ${issue.field}`;
  return `${issue.file}:${issue.line}:${issue.col}${field}: ${issue.reason}`;
}

/** A bundle (or a policy test file) that failed to load; lists every problem found. */
export class BundleError extends Error {
  override readonly name = "BundleError";
  readonly issues: readonly BundleIssue[];
  constructor(issues: readonly BundleIssue[]) {
    super(
      `policy bundle is invalid (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join("\n"),
    );
    this.issues = issues;
  }
}
