#!/usr/bin/env node
// The `warden` command: composition root over the real process (stdout, stderr, stdin, exit code).
import { text } from "node:stream/consumers";
import { EXIT } from "./cli-error.ts";
import { runCli } from "./run-cli.ts";

try {
  process.exitCode = await runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    readStdin: () => text(process.stdin),
  });
} catch (err) {
  // A bug, not a verdict: never exit 1, which CI reads as "policy tests failed".
  process.stderr.write(
    `warden: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = EXIT.invalid;
}
