import type { Command } from "commander";
import type { CliIo } from "./cli-io.ts";
import type { GlobalOptions, Remote } from "./remote.ts";

/** What a command module gets from run-cli.ts. */
export interface CommandContext {
  readonly io: CliIo;
  /** The program-wide options of the running command (`--json`, `--token`, addresses, `--timeout`). */
  globals(command: Command): GlobalOptions;
  /** Clients for the running command; closed by run-cli.ts when the command ends. */
  remote(command: Command): Remote;
  /** Records the command's exit code. */
  exit(code: number): void;
}
