// The service commands in-process, without a service: argument validation (exit 2 before any call,
// naming the flag), configuration from flags / env / a token file, `dev token`, and the one place
// that maps a failed call to an exit code and a hint. The calls themselves are tested against real
// services and the approval stand-in in test/ (integration).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientError, Status } from "nice-grpc";
import { createDevIssuer } from "@warden/identity";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { CliIo } from "./cli-io.ts";
import { DEFAULT_ADDRESSES, readCliEnv } from "./config.ts";
import { parseDate, parseEnvironment, parseScope, scopeLabel } from "./parse-service-options.ts";
import { createRemote } from "./remote.ts";
import { ServiceCallError } from "./rpc-failure.ts";
import { runCli } from "./run-cli.ts";

function buffered(env: CliIo["env"] = { addresses: {} }) {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    readStdin: () => Promise.resolve(""),
    env,
  };
  return { io, out: () => out, err: () => err };
}

async function run(args: string[], env?: CliIo["env"]) {
  const b = buffered(env);
  const code = await runCli(args, b.io);
  return { code, stdout: b.out(), stderr: b.err() };
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-cli-unit-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("usage errors: exit 2, the flag named on stderr, nothing called", () => {
  test.each([
    [["stop", "activate", "--reason", "x"], /--scope/],
    [["stop", "activate", "--scope", "global"], /--reason/],
    [["stop", "activate", "--scope", "region:eu", "--reason", "x"], /"region:eu" is not a scope/],
    [["stop", "activate", "--scope", "environment:mars", "--reason", "x"], /"mars" is not an environment/],
    [["stop", "activate", "--scope", "global", "--reason", " "], /--reason: must not be empty/],
    [["stop", "deactivate", "--review-ref", "INC-1", "--root-cause", "x"], /--prevention/],
    [
      [
        "stop",
        "deactivate",
        "--review-ref",
        "INC-1",
        "--root-cause",
        "x",
        "--prevention",
        "y",
        "--epoch",
        "-1",
      ],
      /--epoch/,
    ],
    [["approvals", "reject", "act-1"], /--comment/],
    [["approvals", "request-changes", "act-1", "-m", ""], /--comment: required for request-changes/],
    [["approvals", "delegate", "act-1"], /--to/],
    [["approvals", "show"], /action-id/],
    [["approvals", "list", "--page-size", "501"], /between 1 and 500/],
    [["approvals", "list", "--risk", "extreme"], /not a risk level/],
    [["audit", "query", "--since", "yesterday"], /not a date/],
    [["audit", "tail", "--limit", "0"], /≥ 1/],
    [["audit", "verify", "--db", "warden_audit"], /--db: only with --mongo-url/],
    [["audit", "verify", "--mongo-url", "mongodb://127.0.0.1:1/"], /--db: required with --mongo-url/],
    [["status", "--only", "policy,billing"], /unknown service "billing"/],
    [["--timeout", "soon", "stop", "status"], /--timeout/],
  ])("%j", async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test("no token: says the three ways to give one, and --json prints one error document", async () => {
    const r = await run(["stop", "status", "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /needs a bearer token: pass --token TOKEN, set WARDEN_TOKEN, or --token-file FILE/,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { status: "USAGE", exitCode: 2 } });
  });

  test("an unreadable --token-file is named", async () => {
    const r = await run(["stop", "status", "--token-file", join(dir, "missing")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--token-file .*missing: cannot read the token/);
  });
});

describe("configuration", () => {
  test("env: WARDEN_<SERVICE>_ADDR, WARDEN_TOKEN, WARDEN_TOKEN_FILE; blanks ignored", () => {
    expect(
      readCliEnv({
        WARDEN_KILLSWITCH_ADDR: "ks:1",
        WARDEN_AUDIT_ADDR: " ",
        WARDEN_TOKEN: "t",
        WARDEN_TOKEN_FILE: "/f",
        UNRELATED: "x",
      }),
    ).toEqual({ addresses: { killswitch: "ks:1" }, token: "t", tokenFile: "/f" });
  });

  test("flags win over env, env over the make-up defaults; --token over the token file", async () => {
    const file = join(dir, "token");
    await writeFile(file, "from-file\n");
    const io = buffered({ addresses: { audit: "env-audit:1" }, tokenFile: file }).io;
    const fromEnv = createRemote({}, io);
    expect(fromEnv.address("audit")).toBe("env-audit:1");
    expect(fromEnv.address("policy")).toBe(DEFAULT_ADDRESSES.policy);
    expect(fromEnv.token()).toBe("from-file");
    const fromFlags = createRemote({ auditAddr: "flag-audit:2", token: "from-flag" }, io);
    expect(fromFlags.address("audit")).toBe("flag-audit:2");
    expect(fromFlags.token()).toBe("from-flag");
  });
});

describe("dev token", () => {
  test("mints a token the dev issuer's key verifies, with the roles and the agent type", async () => {
    const keyFile = join(dir, "dev-issuer.pem");
    const issuer = await createDevIssuer({ issuer: "warden-dev", audience: "warden", keyFile });
    const r = await run([
      "dev",
      "token",
      "--user",
      "deploy-bot",
      "--roles",
      "a, b",
      "--agent",
      "--key-file",
      keyFile,
      "--json",
    ]);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { token: string; type: string; roles: string[] };
    expect(body).toMatchObject({ type: "ai_agent", roles: ["a", "b"] });
    const principal = await issuer.verifier().verify(body.token);
    expect(principal).toMatchObject({ id: "deploy-bot", type: "ai_agent", roles: ["a", "b"] });
  });

  test("a missing key file is not created: exit 2, says to run make up", async () => {
    const r = await run(["dev", "token", "--user", "alice", "--key-file", join(dir, "none.pem")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such file; `make up` creates it/);
  });

  test("a bad --expires-in is refused", async () => {
    const r = await run(["dev", "token", "--user", "alice", "--expires-in", "forever"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--expires-in forever/);
  });
});

describe("a failed call → exit code, message, hint", () => {
  const ctx = { timeoutMs: 10_000, interrupted: false, envVar: "WARDEN_APPROVAL_ADDR" };
  const failure = (code: Status, details = "why") =>
    new ServiceCallError("approval", "127.0.0.1:50054", new ClientError("/x", code, details), ctx);

  test.each([
    [Status.UNAVAILABLE, 3, /make up.*--tls-ca FILE/],
    [Status.DEADLINE_EXCEEDED, 3, /--timeout/],
    [Status.UNIMPLEMENTED, 3, /another service on that port/],
    [Status.NOT_FOUND, 4, /warden approvals list/],
    [Status.INVALID_ARGUMENT, 2, /field/],
    [Status.UNAUTHENTICATED, 1, /warden dev token/],
    [Status.PERMISSION_DENIED, 1, /role/],
    [Status.FAILED_PRECONDITION, 1, /current state/],
    [Status.ABORTED, 1, /warden stop status/],
  ])("%s → exit %i", (code, exit, hint) => {
    const e = failure(code);
    expect(e.exitCode).toBe(exit);
    expect(e.hint).toMatch(hint);
    expect(e.toJSON()).toMatchObject({
      error: { status: Status[code], exitCode: exit, service: "approval" },
    });
  });

  test("a timeout is unreachable (3), Ctrl-C is not", () => {
    const abort = Object.assign(new Error("aborted"), { name: "AbortError" });
    expect(new ServiceCallError("audit", "a:1", abort, ctx)).toMatchObject({
      exitCode: 3,
      status: "TIMEOUT",
    });
    expect(new ServiceCallError("audit", "a:1", abort, { ...ctx, interrupted: true })).toMatchObject({
      status: "CANCELLED",
    });
  });
});

describe("option values", () => {
  test("scopes as the user writes them, and back", () => {
    const scopes = ["global", "environment:production", "agent:deploy-bot", "service:payments"].reduce(
      (acc, s) => parseScope(s, acc),
      parseScope("global").slice(1),
    );
    expect(scopes.map(scopeLabel)).toEqual([
      "global",
      "environment:production",
      "agent:deploy-bot",
      "service:payments",
    ]);
    expect(scopes[1]).toEqual({ kind: "SCOPE_KIND_ENVIRONMENT", value: "ENVIRONMENT_PRODUCTION" });
  });

  test("environments and dates", () => {
    expect(parseEnvironment("Staging")).toBe("ENVIRONMENT_STAGING");
    expect(parseDate("2026-03-10").toISOString()).toBe("2026-03-10T00:00:00.000Z");
    expect(parseDate("2026-03-10T21:00:00+01:00").toISOString()).toBe("2026-03-10T20:00:00.000Z");
    expect(() => parseDate("2026-03-10T20:00:00")).toThrow(/with a zone/);
  });
});
