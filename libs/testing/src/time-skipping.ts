import { TestWorkflowEnvironment } from "@temporalio/testing";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serverBinary } from "./server-binary.ts";
import { ServerStartError, stopPid, type ServerHandle } from "./server-process.ts";
import { wardenSearchAttributes } from "./temporal-dev.ts";

/** temporal.api.enums.v1.IndexedValueType, for the search attributes Warden uses. */
const INDEXED_VALUE_TYPE = { Keyword: 2, Int: 3 } as const;
const START_ATTEMPTS = 3;

export interface TimeSkippingServer extends ServerHandle {
  readonly address: string;
  /** The SDK's time-skipping environment: `env.client`, `env.nativeConnection`, `env.sleep()`. */
  readonly env: TestWorkflowEnvironment;
}

/**
 * The Temporal Java time-skipping test server through the SDK's `TestWorkflowEnvironment`, run
 * from the binary `make servers` built (the SDK's own download does not work here). A launcher
 * script in a temp dir records the pid and sends the output to a log file, then execs the server.
 */
export async function startTimeSkipping(): Promise<TimeSkippingServer> {
  const name = "temporal-test-server";
  const dir = await mkdtemp(join(tmpdir(), `warden-${name}-`));
  const logFile = join(dir, `${name}.log`);
  const pidFile = join(dir, "pid");
  const launcher = join(dir, "launch.sh");
  writeFileSync(
    launcher,
    `#!/bin/sh\necho $$ > '${pidFile}'\nexec '${serverBinary("testserver")}' "$@" > '${logFile}' 2>&1\n`,
  );
  chmodSync(launcher, 0o755);

  // sdk-core gives the server a fixed 5 s to answer, which a loaded 2-core CI machine has missed
  // (CI run of 2026-12-03: "did not start within 5s", connection refused); the timeout is not an
  // option of the TypeScript SDK, so a start that misses it is retried (each try its own port).
  let env: TestWorkflowEnvironment | undefined;
  for (let attempt = 1; env === undefined; attempt++) {
    try {
      env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: "existing-path", path: launcher } },
      });
    } catch (err) {
      // The SDK killed what it started; a launcher that got as far as writing its pid is gone too.
      if (existsSync(pidFile)) await stopPid(Number(readFileSync(pidFile, "utf8").trim()), 2_000);
      if (attempt >= START_ATTEMPTS || !/did not start within/.test(String(err))) {
        throw new ServerStartError(name, logFile, "the SDK could not start or reach it", { cause: err });
      }
    }
  }
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  // Warden's search attributes, as the dev server registers them at start (workflows upsert them).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? "default",
    searchAttributes: Object.fromEntries(
      Object.entries(wardenSearchAttributes).map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]]),
    ),
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await env.teardown();
      await stopPid(pid, 5_000);
      await rm(dir, { recursive: true, force: true });
    })());
  return { name, pid, logFile, address: env.address, env, stop, [Symbol.asyncDispose]: stop };
}
