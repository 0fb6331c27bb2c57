// A Warden service as a child process (`node services/<name>/src/main.ts`) on free ports: started
// with an environment, ready once /readyz answers 200, stopped by its own pid only.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./server-process.ts";

export type ServiceProcess = {
  readonly name: string;
  readonly pid: number;
  readonly grpcPort: number;
  readonly opsPort: number;
  /** SIGTERM, then SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** SIGKILL to this child's pid only, and wait until it has exited. */
  kill(): Promise<void>;
};

export async function startServiceProcess(
  name: string,
  env: Record<string, string>,
  logFile: string,
  timeoutMs = 60_000,
  /** The script to run instead of `services/<name>/src/main.ts` (a fault test's control variant). */
  script?: string,
): Promise<ServiceProcess> {
  const main = script ?? fileURLToPath(new URL(`../../../services/${name}/src/main.ts`, import.meta.url));
  const grpcPort = await freePort();
  const opsPort = await freePort();
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? "",
      GRPC_HOST: "127.0.0.1",
      GRPC_INSECURE: "true",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...env,
      GRPC_PORT: String(grpcPort),
      OPS_PORT: String(opsPort),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = createWriteStream(logFile, { flags: "a" });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill("SIGTERM");
      const timeout = sleep(20_000).then(() => "timeout" as const);
      if ((await Promise.race([exit, timeout])) === "timeout") {
        child.kill("SIGKILL");
        await exit;
      }
    }
    log.end();
  };
  const kill = async (): Promise<void> => {
    if (!exited) child.kill("SIGKILL");
    await exit;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${name} exited before it was ready (log: ${logFile})`);
    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { name, pid: child.pid ?? 0, grpcPort, opsPort, stop, kill };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} not ready within ${timeoutMs} ms (log: ${logFile})`);
    }
    await sleep(100);
  }
}
