import { spawn } from "node:child_process";
import { serverBinary } from "./server-binary.ts";

export interface PromtoolResult {
  /** promtool's exit code: 0 clean, 1 problems found (lint or failing tests), 3 usage errors. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `promtool` (built by `make servers`, like the servers) with `args`, writing `input` to its
 * stdin when given (`promtool check metrics` reads the exposition text there).
 */
export async function runPromtool(args: readonly string[], input?: string): Promise<PromtoolResult> {
  const child = spawn(serverBinary("promtool"), args, { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  child.stdin.end(input ?? "");
  return { code: await exited, stdout, stderr };
}
