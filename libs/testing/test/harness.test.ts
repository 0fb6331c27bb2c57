// The harness leaves no server behind: stop() ends the pid, and so does an `await using` scope that
// throws. Each check is paired with a control showing the probe can see a live process.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import {
  pidAlive,
  ServerStartError,
  startMongo,
  startNats,
  startTemporalDev,
  startTimeSkipping,
  type ServerHandle,
} from "../src/index.ts";

/** Throws ESRCH when no process has this pid. */
function signalZero(pid: number): void {
  process.kill(pid, 0);
}

const starters: [string, () => Promise<ServerHandle>][] = [
  ["nats-server", startNats],
  ["ferretdb", startMongo],
  ["temporal dev server", startTemporalDev],
  ["temporal time-skipping server", startTimeSkipping],
];

describe("no orphaned server processes", () => {
  it("control: the probe sees a live pid", () => {
    expect(() => signalZero(process.pid)).not.toThrow();
    expect(pidAlive(process.pid)).toBe(true);
  });

  it.each(starters)("%s: stop() ends its pid and removes its temp dir", async (_name, start) => {
    const server = await start();
    expect(() => signalZero(server.pid)).not.toThrow();
    const dir = dirname(server.logFile);
    expect(existsSync(dir)).toBe(true);

    await server.stop();

    expect(() => signalZero(server.pid)).toThrow(expect.objectContaining({ code: "ESRCH" }));
    expect(existsSync(dir)).toBe(false);
  });

  it.each(starters)("%s: a scope that throws still stops it (await using)", async (_name, start) => {
    let pid = 0;
    async function failingTestBody(): Promise<void> {
      await using server = await start();
      pid = server.pid;
      expect(() => signalZero(pid)).not.toThrow();
      throw new Error("assertion failed inside the test body");
    }

    await expect(failingTestBody()).rejects.toThrow("assertion failed inside the test body");

    expect(pid).toBeGreaterThan(0);
    expect(() => signalZero(pid)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  });
});

describe("a server that does not come up", () => {
  it("fails naming the server and its log file, with the log tail", async () => {
    const squatter: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const address = squatter.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    try {
      const error: unknown = await startNats({ port: address.port }).then(
        (server) => server.stop().then(() => new Error("nats-server started on a taken port")),
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(ServerStartError);
      const { message, logFile } = error as ServerStartError;
      expect(message).toContain("nats-server did not come up");
      expect(message).toContain(logFile);
      expect(message).toMatch(/address already in use/);
      await rm(dirname(logFile), { recursive: true, force: true });
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
