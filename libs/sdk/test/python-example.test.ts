// The Python example (examples/python/agent.py, nats-py) against the real policy service: the wire
// protocol is usable without the SDK. The venv is made from the committed requirements.txt; when
// pip cannot reach the package index the tests skip and say why.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsCredsFile } from "@warden/testing";
import { startWarden } from "./support.ts";
import type { Warden } from "./support.ts";

const run = promisify(execFile);
const example = join(import.meta.dirname, "..", "examples", "python");

let w: Warden;
let bare: Warden;
let venv: string;
let python: string;
let unavailable: string | undefined;

beforeAll(async () => {
  [w, bare] = await Promise.all([startWarden(), startWarden({ policy: false })]);
  venv = await mkdtemp(join(tmpdir(), "warden-sdk-py-"));
  python = join(venv, "bin", "python");
  try {
    await run("python3", ["-m", "venv", venv]);
  } catch (err) {
    unavailable = `python3 -m venv failed: ${(err as Error).message}`;
    return;
  }
  try {
    await run(python, ["-m", "pip", "install", "-q", "-r", join(example, "requirements.txt")], {
      timeout: 240_000,
    });
  } catch (err) {
    unavailable = `pip could not install requirements.txt (package index unreachable?): ${(err as Error).message}`;
  }
}, 300_000);

afterAll(async () => {
  await Promise.all([w.stop(), bare.stop()]);
  await rm(venv, { recursive: true, force: true });
});

async function agent(namespace: string, ...args: string[]): Promise<{ code: number; out: unknown }> {
  const agentArg = args.indexOf("--agent");
  const agentId = agentArg >= 0 ? (args[agentArg + 1] ?? "release-pipeline") : "release-pipeline";
  const creds = await natsCredsFile(`agent:${agentId}`, { namespace });
  const argv = [
    join(example, "agent.py"),
    "--nats",
    w.natsUrl,
    "--namespace",
    namespace,
    ...(creds === undefined ? [] : ["--creds", creds]),
    ...args,
  ];
  try {
    const { stdout } = await run(python, argv, { timeout: 30_000 });
    return { code: 0, out: JSON.parse(stdout) };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, out: JSON.parse(e.stdout ?? "null") };
  }
}

describe("python example (nats-py)", () => {
  it("asks the policy and prints the decision: allow, and deny", async (ctx) => {
    if (unavailable !== undefined) ctx.skip(unavailable);
    const allowed = await agent(w.t.namespace, "--agent", "release-pipeline");
    expect(allowed).toMatchObject({ code: 0, out: { outcome: "OUTCOME_ALLOW" } });
    expect((allowed.out as { requestDigest: string }).requestDigest).toMatch(/^sha256:/);
    const denied = await agent(w.t.namespace, "--agent", "release-pipeline", "--action", "db.drop");
    expect(denied).toMatchObject({ code: 1, out: { outcome: "OUTCOME_DENY" } });
  });

  it("fails closed when no policy answers (control: the same call where the policy runs is allowed, above)", async (ctx) => {
    if (unavailable !== undefined) ctx.skip(unavailable);
    const none = await agent(bare.t.namespace, "--agent", "release-pipeline");
    expect(none).toMatchObject({ code: 3, out: { error: "NoRespondersError" } });
  });
});
