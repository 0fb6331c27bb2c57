import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** A running server started by this harness; `stop()` ends exactly its own pid. */
export interface ServerHandle extends AsyncDisposable {
  readonly name: string;
  readonly pid: number;
  /** Where the server's stdout and stderr go. */
  readonly logFile: string;
  stop(): Promise<void>;
}

/** Where a server keeps its files. Without them, a fresh temp dir is used and removed on stop. */
export interface ServerOptions {
  /** Fixed port; without it a free loopback port is chosen (and re-chosen if taken meanwhile). */
  port?: number;
  /** Data directory, kept on stop. */
  dataDir?: string;
  /** Log file, kept on stop. */
  logFile?: string;
  /** Start in its own session so it outlives this process (`make up`); default false. */
  detached?: boolean;
  readyTimeoutMs?: number;
}

export class ServerStartError extends Error {
  override readonly name = "ServerStartError";
  readonly server: string;
  readonly logFile: string;
  constructor(server: string, logFile: string, reason: string, options?: ErrorOptions) {
    super(
      `${server} did not come up: ${reason}\nlog: ${logFile}\n--- last lines ---\n${logTail(logFile)}`,
      options,
    );
    this.server = server;
    this.logFile = logFile;
  }
}

/** The last `lines` lines of a log file (empty when it does not exist yet). */
export function logTail(file: string, lines = 20): string {
  if (!existsSync(file)) return "(no log written)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** Ask the OS for a free loopback port: listen on port 0, read it, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not read a free port");
  return address.port;
}

/** True when nothing listens on 127.0.0.1:port (we can bind it). */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Whether a process with this pid exists (zombies count as gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
  try {
    // /proc/PID/stat: "pid (comm) S ..."; state Z means exited, waiting to be reaped.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the pid is gone. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) {
      signal("SIGKILL");
      await sleep(100);
      if (Date.now() > deadline + 5_000) throw new Error(`pid ${pid} survived SIGKILL`);
    } else {
      await sleep(50);
    }
  }
}

/**
 * Resolves once Node has reaped `child` (its "exit" event has fired), so that its pid is gone from
 * the process table rather than left a zombie for a moment after stopPid() saw it exit; gives up
 * after `ms`.
 */
async function reaped(child: ChildProcess, ms = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await Promise.race([once(child, "exit"), sleep(ms, undefined, { ref: false })]);
}

const probeTimeoutMs = 5_000;

export interface LaunchSpec {
  name: string;
  binary: string;
  args: string[];
  /** Extra environment variables (added to this process's environment). */
  env?: Record<string, string>;
  logFile: string;
  detached: boolean;
  /** Probe once; resolve when the server really answers, throw otherwise. */
  ready: () => Promise<void>;
  readyTimeoutMs: number;
}

/** Spawn a server with output to its log file and wait until `ready` passes; kill it if it never does. */
export async function launch(spec: LaunchSpec): Promise<ChildProcess & { pid: number }> {
  if (!existsSync(spec.binary)) {
    throw new ServerStartError(
      spec.name,
      spec.logFile,
      `binary ${spec.binary} is missing; run \`make servers\``,
    );
  }
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(spec.binary, spec.args, {
      stdio: ["ignore", fd, fd],
      detached: spec.detached,
      ...(spec.env !== undefined && { env: { ...process.env, ...spec.env } }),
    });
  } finally {
    closeSync(fd);
  }
  const { pid } = child;
  if (pid === undefined) {
    throw new ServerStartError(spec.name, spec.logFile, `could not spawn ${spec.binary}`);
  }
  const exited = new Promise<never>((_resolve, reject) => {
    child.once("exit", (code, sig) => {
      reject(
        new ServerStartError(
          spec.name,
          spec.logFile,
          `exited early (code ${code ?? "-"}, signal ${sig ?? "-"})`,
        ),
      );
    });
    child.once("error", (err) =>
      reject(new ServerStartError(spec.name, spec.logFile, `spawn failed: ${err.message}`)),
    );
  });
  exited.catch(() => undefined); // observed in the loop below; never unhandled
  if (spec.detached) child.unref();

  const deadline = Date.now() + spec.readyTimeoutMs;
  let lastError: unknown;
  for (;;) {
    const probeTimeout = sleep(probeTimeoutMs, undefined, { ref: false }).then(() => {
      throw new Error(`health check gave no answer within ${probeTimeoutMs} ms`);
    });
    probeTimeout.catch(() => undefined); // only matters while the race below is pending
    try {
      await Promise.race([spec.ready(), exited, probeTimeout]);
      return Object.assign(child, { pid });
    } catch (err) {
      if (err instanceof ServerStartError) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      await stopPid(pid, 2_000);
      throw new ServerStartError(spec.name, spec.logFile, `no answer within ${spec.readyTimeoutMs} ms`, {
        cause: lastError,
      });
    }
    await sleep(100);
  }
}

export interface StartContext {
  port: number;
  dataDir: string;
}

/**
 * Start a server from `makeSpec(ctx)`: chooses the port (retrying when another process took it
 * between our probe and the server's bind), the data dir and the log file, and returns a handle
 * that stops the pid and removes what it created.
 */
export async function startServer<T extends object>(
  name: string,
  options: ServerOptions,
  makeSpec: (ctx: StartContext) => Omit<LaunchSpec, "name" | "logFile" | "detached" | "readyTimeoutMs">,
  describe: (ctx: StartContext) => T,
): Promise<ServerHandle & T> {
  const tempDir =
    options.dataDir === undefined || options.logFile === undefined
      ? await mkdtemp(join(tmpdir(), `warden-${name}-`))
      : undefined;
  const dataDir = options.dataDir ?? join(tempDir ?? "", "data");
  const logFile = options.logFile ?? join(tempDir ?? "", `${name}.log`);
  mkdirSync(dataDir, { recursive: true });
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const ctx = { port: options.port ?? (await freePort()), dataDir };
    try {
      const child = await launch({
        ...makeSpec(ctx),
        name,
        logFile,
        detached: options.detached ?? false,
        readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
      });
      let stopped: Promise<void> | undefined;
      const stop = (): Promise<void> =>
        (stopped ??= (async () => {
          await stopPid(child.pid);
          await reaped(child);
          if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
        })());
      return { ...describe(ctx), name, pid: child.pid, logFile, stop, [Symbol.asyncDispose]: stop };
    } catch (err) {
      const portTaken = /address already in use|EADDRINUSE/i.test(logTail(logFile, 50));
      if (!(err instanceof ServerStartError) || !portTaken || attempt >= attempts) {
        if (tempDir !== undefined && !(err instanceof ServerStartError))
          await rm(tempDir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}
