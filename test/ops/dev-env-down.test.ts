// `make down` (scripts/dev-env.ts down) returns only once each recorded process is gone from the
// process table, not as soon as it has exited: a process whose parent does not reap it at once (as
// init did with make up's detached nats-server and temporal) is still listed until it is reaped.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, expect, it } from "vitest";

const devEnv = fileURLToPath(new URL("../../scripts/dev-env.ts", import.meta.url));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

it("waits until a stopped server has been reaped, then reports it stopped", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "warden-dev-env-"));
  cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  // A "server" (node, idling) whose parent, a shell that exec'd `sleep 3`, never waits for it: once
  // it exits it stays a zombie until sleep ends and init adopts and reaps it.
  const parent = spawn(
    "sh",
    ["-c", `"$0" -e 'setInterval(() => {}, 1000)' & echo $!; exec sleep 3`, process.execPath],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  cleanups.push(() => parent.kill("SIGKILL"));
  const lines = createInterface({ input: parent.stdout });
  const pid = Number(await new Promise<string>((resolve) => lines.once("line", resolve)));
  expect(pid).toBeGreaterThan(0);
  cleanups.push(() => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  });
  await expect.poll(() => existsSync(`/proc/${pid}/cmdline`)).toBe(true);
  mkdirSync(join(stateDir, "pids"), { recursive: true });
  writeFileSync(join(stateDir, "pids", "nats.json"), JSON.stringify({ pid, binary: process.execPath }));

  const { stdout } = await promisify(execFile)(process.execPath, [devEnv, "down"], {
    env: { ...process.env, WARDEN_STATE_DIR: stateDir },
  });
  // Back from `down`: the process is not even a zombie any more.
  expect(existsSync(`/proc/${pid}`)).toBe(false);
  expect(stdout).toMatch(new RegExp(`nats: stopped \\(pid ${pid}, gone after \\d+ ms\\)`));
  expect(stdout).toContain("temporal: not running");
  expect(existsSync(join(stateDir, "pids", "nats.json"))).toBe(false);
});
