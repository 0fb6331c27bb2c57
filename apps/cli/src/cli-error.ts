/**
 * Exit codes, the contract with CI: 0 success, 1 policy tests failed / bundle invalid (`check`) /
 * audit chain bad (`audit verify`), 2 the command could not run (usage error, missing or
 * unreadable input, invalid bundle or test file for `test` and `explain`, server unreachable).
 */
export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

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
