/** One problem with one configuration key. */
export interface ConfigIssue {
  /** The environment variable name, e.g. `NATS_URL`. */
  readonly key: string;
  readonly problem: "missing" | "invalid";
  /** What the key should hold, from the field's zod `.describe()` text. */
  readonly expected?: string;
  /** What was wrong with the value (never the value itself: it may be a secret). */
  readonly detail?: string;
}

/** Start-up configuration is missing or invalid. The message lists every bad key, one per line. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map(formatIssue);
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(`invalid configuration (${count}):\n${lines.map((line) => `  ${line}`).join("\n")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const what = issue.problem === "missing" ? "required" : `invalid (${issue.detail ?? "rejected"})`;
  return issue.expected === undefined ? `${issue.key}: ${what}` : `${issue.key}: ${what} — ${issue.expected}`;
}
