/**
 * Exit codes, the contract with scripts and CI (README "Exit codes"):
 *   0 success;
 *   1 refused or a failed check: policy tests failed / bundle invalid (`check`), audit chain bad
 *     (`audit verify`), a service refused the call (permission denied, failed precondition, the
 *     stop changed since you looked, a vote not allowed);
 *   2 usage error: the command could not run (unknown option, missing argument, bad value, missing
 *     or unreadable input, invalid bundle or test file for `test` and `explain`), and crashes;
 *   3 unreachable or unavailable: a service did not answer (not running, wrong address, timeout);
 *   4 not found: the thing named (an approval, an action) does not exist.
 */
export const EXIT = { ok: 0, failed: 1, invalid: 2, unavailable: 3, notFound: 4 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad input named by file or field (missing directory, unreadable file, malformed request): exit 2. */
export class CliInputError extends Error {
  override readonly name = "CliInputError";
  /** One line per problem, each naming the file and, where known, line, column and field. */
  readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    super(lines.join("\n"));
    this.lines = lines;
  }
}

/** A value that passed commander's parsing but is still unusable (e.g. empty): exit 2. */
export const usageError = (line: string): CliInputError => new CliInputError([line]);
