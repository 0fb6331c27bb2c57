#!/usr/bin/env node
// The `warden` command: composition root over the real process (stdout, stderr, stdin, env, exit code).
import { text } from "node:stream/consumers";
import { EXIT } from "./cli-error.ts";
import { readCliEnv } from "./config.ts";
import { runCli } from "./run-cli.ts";

// Ctrl-C ends streams (audit tail / export) cleanly; a second Ctrl-C exits at once.
const interrupt = new AbortController();
process.once("SIGINT", () => {
  interrupt.abort();
  process.once("SIGINT", () => process.exit(130));
});

// The reader of stdout went away (`warden audit export | head`): stop quietly, like other tools.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  interrupt.abort();
  process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
});

try {
  process.exitCode = await runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    readStdin: () => text(process.stdin),
    env: readCliEnv(),
    ...(process.stderr.isTTY && { progress: process.stderr }),
    signal: interrupt.signal,
  });
} catch (err) {
  // A bug, not a verdict: never exit 1, which CI reads as "policy tests failed".
  process.stderr.write(
    `warden: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = EXIT.invalid;
}
