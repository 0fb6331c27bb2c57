// The real `warden` binary (spawned) against real services, each its own process on the run's
// NATS and Mongo-wire servers: kill switch, policy and audit. status, dev token, stop activate /
// status / deactivate (two people), audit query / export / tail / verify: exit codes, --json
// output that parses, errors on stderr.
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeyPairSync } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { createDevIssuer } from "@warden/identity";
import { connectNats, drainNats, topology } from "@warden/messaging";
import { freePort, testServers, uniqueName, natsCredentials, natsCredsFile } from "@warden/testing";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { startServiceProcess } from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";
import { json, warden } from "./support/run-warden.ts";

const governance = fileURLToPath(new URL("../../../governance", import.meta.url));
const ISSUER = "warden-cli-it";
const t = topology(uniqueName("clie2e").toLowerCase());
const db = uniqueName("cli_audit");
let dir = "";
let keyFile = "";
let env: Record<string, string> = {};
const processes: Record<string, ServiceProcess> = {};

/** A token minted by the CLI itself (`warden dev token`), with the test's issuer key. */
async function devToken(user: string, roles: string): Promise<string> {
  const run = await warden([
    "dev",
    "token",
    "--user",
    user,
    "--roles",
    roles,
    "--key-file",
    keyFile,
    "--issuer",
    ISSUER,
  ]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return run.stdout.trim();
}

async function credsOf(identity: string): Promise<Record<string, string>> {
  const file = await natsCredsFile(identity, { namespace: t.namespace });
  return file === undefined ? {} : { NATS_CREDS: file };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-cli-it-"));
  keyFile = join(dir, "dev-issuer.pem");
  await createDevIssuer({ issuer: ISSUER, audience: "warden", keyFile });
  const signingKey = generateKeyPairSync("ed25519")
    .privateKey.export({ format: "pem", type: "pkcs8" })
    .toString();
  const common = {
    NATS_URL: testServers().natsUrl,
    WARDEN_NAMESPACE: t.namespace,
    JWT_ISSUER: ISSUER,
    JWT_DEV_KEY_FILE: keyFile,
    LOG_LEVEL: "warn",
  };
  const [ks, policy, audit] = await Promise.all([
    startServiceProcess(
      "kill-switch",
      { ...common, ...(await credsOf("service:kill-switch")) },
      join(dir, "kill-switch.log"),
    ),
    startServiceProcess(
      "policy",
      {
        ...common,
        ...(await credsOf("service:policy")),
        POLICY_BUNDLE_DIR: governance,
        POLICY_WATCH: "false",
      },
      join(dir, "policy.log"),
    ),
    startServiceProcess(
      "audit",
      {
        ...common,
        ...(await credsOf("service:audit")),
        MONGO_URL: testServers().mongoUrl,
        MONGO_DB: db,
        AUDIT_SIGNING_KEY: signingKey,
        CHECKPOINT_EVERY: "2",
        CHECKPOINT_INTERVAL: "1s",
      },
      join(dir, "audit.log"),
    ),
  ]);
  Object.assign(processes, { ks, policy, audit });
  env = {
    WARDEN_KILLSWITCH_ADDR: `127.0.0.1:${ks.grpcPort}`,
    WARDEN_POLICY_ADDR: `127.0.0.1:${policy.grpcPort}`,
    WARDEN_AUDIT_ADDR: `127.0.0.1:${audit.grpcPort}`,
  };
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(processes).map((p) => p.stop()));
  const nc = await connectNats({
    servers: testServers().natsUrl,
    name: "cli-it-cleanup",
    ...(await natsCredentials("test-admin")),
  });
  const jsm = await jetstreamManager(nc);
  for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`]) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
  await drainNats(nc);
  const mongo = await MongoClient.connect(testServers().mongoUrl);
  await mongo
    .db(db)
    .dropDatabase()
    .catch(() => undefined);
  await mongo.close();
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

// Each spawned CLI takes 1–4 s on a busy machine: generous timeouts; the tests run in order.
describe("warden against real services (child processes)", { timeout: 180_000 }, () => {
  test("status: the three services serve, the bundle digest, the stop state; exit 0", async () => {
    const token = await devToken("ops", "auditor");
    const run = await warden(
      ["status", "--only", "policy,audit,killswitch", "--json", "--token", token],
      env,
    );
    expect(run.code).toBe(0);
    const body = json(run) as {
      ok: boolean;
      services: { service: string; state: string }[];
      bundle: { digest: string };
      stop: { active: boolean };
    };
    expect(body.ok).toBe(true);
    expect(body.services.map((s) => [s.service, s.state])).toEqual([
      ["policy", "serving"],
      ["audit", "serving"],
      ["kill-switch", "serving"],
    ]);
    const check = await warden(["policy", "check", governance, "--json"]);
    expect(body.bundle.digest).toBe((json(check) as { digest: string }).digest);
    expect(body.stop.active).toBe(false);

    const text = await warden(["status", "--only", "policy,killswitch", "--token", token], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^bundle: sha256:[0-9a-f]{64} \(\d+ rules/m);
    expect(text.stdout).toMatch(/^stop: clear at epoch \d+/m);

    // A token without a bundle-read role: every service answers, the bundle read is refused: exit 1.
    const viewer = await devToken("vic", "viewer");
    const refused = await warden(["status", "--only", "policy", "--json", "--token", viewer], env);
    expect(refused.code).toBe(1);
    const refusedBody = json(refused) as { ok: boolean; bundle: { error?: string } };
    expect(refusedBody.ok).toBe(false);
    expect(refusedBody.bundle.error).toMatch(/lacks the required role: .*auditor/);
  });

  test("status with services that do not answer: shown unreachable, exit 3", async () => {
    const [a, r] = [await freePort(), await freePort()];
    const run = await warden(
      ["status", "--json", "--approval-addr", `127.0.0.1:${a}`, "--rollback-addr", `127.0.0.1:${r}`],
      env,
    );
    expect(run.code).toBe(3);
    const body = json(run) as { ok: boolean; services: { service: string; state: string }[] };
    expect(body.ok).toBe(false);
    expect(Object.fromEntries(body.services.map((s) => [s.service, s.state]))).toEqual({
      policy: "serving",
      audit: "serving",
      "kill-switch": "serving",
      approval: "unreachable",
      rollback: "unreachable",
    });
    expect(run.stderr).toMatch(/no token/);
    // The policy port answers, but not as the kill switch: named as such.
    const wrong = await warden([
      "status",
      "--only",
      "killswitch",
      "--killswitch-addr",
      env.WARDEN_POLICY_ADDR ?? "",
    ]);
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toMatch(/WRONG-SERVICE/);
  });

  test("stop activate: refused without an activation role (exit 1), bad scope (exit 2), then stopped (exit 0)", async () => {
    const viewer = await devToken("vic", "viewer");
    const refused = await warden(
      ["stop", "activate", "--scope", "global", "--reason", "drill", "--token", viewer],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/^warden stop activate: refused by the kill-switch service/m);
    expect(refused.stderr).toMatch(/on-call-engineer/);

    const oncall = await devToken("olga", "on-call-engineer");
    const badScope = await warden(
      ["stop", "activate", "--scope", "region:eu", "--reason", "x", "--token", oncall],
      env,
    );
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toMatch(/"region:eu" is not a scope/);
    const noReason = await warden(["stop", "activate", "--scope", "global", "--token", oncall], env);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);

    const run = await warden(
      [
        "stop",
        "activate",
        "--scope",
        "environment:production",
        "--reason",
        "error rate spike",
        "--json",
        "--token",
        oncall,
      ],
      env,
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({
      state: {
        active: true,
        reason: "error rate spike",
        scopes: [{ kind: "SCOPE_KIND_ENVIRONMENT", value: "ENVIRONMENT_PRODUCTION" }],
      },
    });
  });

  test("stop status: the scope, its epoch, and the policy replica's acknowledgement", async () => {
    const token = await devToken("ops", "viewer");
    await vi.waitFor(
      async () => {
        const run = await warden(["stop", "status", "--json", "--token", token], env);
        expect(run.code).toBe(0);
        const body = json(run) as {
          consumers?: { confirmed?: boolean; acknowledgement?: { consumer?: { id: string } } }[];
        };
        expect(
          body.consumers?.some((c) => c.confirmed === true && c.acknowledgement?.consumer?.id === "policy"),
        ).toBe(true);
      },
      { timeout: 60_000, interval: 500 },
    );
    const text = await warden(["stop", "status", "--token", token], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^STOPPED at epoch \d+/m);
    expect(text.stdout).toMatch(/environment:production .*yes .*error rate spike .*olga \(human\)/);
    expect(text.stdout).toMatch(/policy \(service\)/);
    expect(text.stdout).toMatch(/\d+ of \d+ consumers confirmed epoch \d+/);
  });

  test("stop deactivate: two people; the first records an approval naming the missing role, the second lifts", async () => {
    const incident = [
      "--review-ref",
      "INC-2026-017",
      "--root-cause",
      "bad config push",
      "--prevention",
      "config canary",
    ];
    const missing = await warden(["stop", "deactivate", "--review-ref", "INC-1", "--token", "x"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--root-cause/);

    const erin = await devToken("erin", "engineering-lead");
    const first = await warden(["stop", "deactivate", ...incident, "--token", erin], env);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      /deactivation approval recorded at epoch \d+; the stop stays active .*security-lead/,
    );

    const sam = await devToken("sam", "security-lead");
    const second = await warden(["stop", "deactivate", ...incident, "--json", "--token", sam], env);
    expect(second.code).toBe(0);
    const lifted = json(second) as { deactivated: boolean; state: { active?: boolean } };
    expect(lifted.deactivated).toBe(true);
    expect(lifted.state.active ?? false).toBe(false); // proto3 JSON omits false

    const status = await warden(["stop", "status", "--token", sam], env);
    expect(status.stdout).toMatch(/^clear at epoch \d+/m);
  });

  test("stop reenable: an empty reason is usage (2); an agent no stop disabled is refused (1), naming why", async () => {
    const erin = await devToken("erin", "engineering-lead");
    const empty = await warden(["stop", "reenable", "refund-bot", "--reason", " ", "--token", erin], env);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--reason: must not be empty/);
    const notDisabled = await warden(
      ["stop", "reenable", "refund-bot", "--reason", "fixed", "--token", erin],
      env,
    );
    expect(notDisabled.code).toBe(1);
    expect(notDisabled.stderr).toMatch(/agent refund-bot is not disabled by a stop/);
  });

  test("audit query / export / tail / verify over the recorded kill-switch events", async () => {
    const auditor = await devToken("ada", "auditor");
    let count = 0;
    await vi.waitFor(
      async () => {
        const run = await warden(
          ["audit", "query", "--type", "warden.killswitch.*", "--all", "--json", "--token", auditor],
          env,
        );
        expect(run.code).toBe(0);
        const records = (json(run) as { records: { type: string }[] }).records;
        expect(records.some((r) => r.type.startsWith("warden.killswitch.activated"))).toBe(true);
        expect(records.some((r) => r.type.startsWith("warden.killswitch.deactivated"))).toBe(true);
        count = records.length;
      },
      { timeout: 60_000, interval: 1_000 },
    );

    const table = await warden(["audit", "query", "--type", "warden.killswitch.*", "--token", auditor], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ seq +│ time/);
    expect(table.stdout).toMatch(/warden\.killswitch\./);

    const file = join(dir, "export.ndjson");
    const exported = await warden(
      ["audit", "export", "--type", "warden.killswitch.*", "-o", file, "--json", "--token", auditor],
      env,
    );
    expect(exported.code).toBe(0);
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(count);
    const first = JSON.parse(lines[0] ?? "") as { seq: string; hash: string };
    expect(first.hash).toMatch(/^(sha256:)?[0-9a-f]{64}$/);
    expect(json(exported)).toMatchObject({ file, records: lines.length });
    const toStdout = await warden(
      ["audit", "export", "--type", "warden.killswitch.*", "--token", auditor],
      env,
    );
    expect(toStdout.code).toBe(0);
    // The services keep recording (refusals are recorded asynchronously), so the second export
    // holds the first one's records or more.
    expect(toStdout.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(lines.length);
    expect(toStdout.stderr).toMatch(/exported \d+ records/);

    const tail = await warden(
      ["audit", "tail", "--after-seq", "1", "--limit", "2", "--json", "--token", auditor],
      env,
    );
    expect(tail.code).toBe(0);
    const tailed = tail.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: string });
    expect(tailed.map((r) => Number(r.seq))).toEqual([2, 3]); // --after-seq 0 would mean "from now"

    const verify = await warden(["audit", "verify", "--token", auditor], env);
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK: \d+ records \(seq 1\.\.head\) and \d+ signed checkpoints verify/m);
    const verifyJson = await warden(["audit", "verify", "--json", "--token", auditor], env);
    expect(json(verifyJson)).toMatchObject({ ok: true });

    const engineer = await devToken("eddie", "nobody");
    const denied = await warden(["audit", "verify", "--token", engineer], env);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^warden audit verify: refused by the audit service/m);
  });
});
