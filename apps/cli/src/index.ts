// @warden/cli: the `warden` command (bin: src/main.ts). Exported for embedding and tests.
export { runCli } from "./run-cli.ts";
export type { CliIo } from "./cli-io.ts";
export { CliInputError, EXIT } from "./cli-error.ts";
