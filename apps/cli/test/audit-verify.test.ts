// `warden audit verify` as a child process against the run's real Mongo-wire server: exit codes,
// --json output, errors on stderr. The chain is written by the audit's own writer and checkpointer.
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createAuditWriter,
  createCheckpointer,
  CheckpointSigner,
  createMongoAuditStore,
} from "@warden/audit";
import { sampleIncoming } from "@warden/audit/sample-events";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNats, drainNats, provisionTopology, topology } from "@warden/messaging";
import { freePort, natsCredentials, natsCredsFile, testServers, uniqueName } from "@warden/testing";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

type Run = { code: number | null; stdout: string; stderr: string };

function warden(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      stdio: "pipe",
      env: { ...process.env, WARDEN_NATS_CREDS: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const publicKeyPem = publicKey.export({ format: "pem", type: "spki" }).toString();
const signer = new CheckpointSigner(privateKey);
const intact = uniqueName("cli_audit_ok");
const tampered = uniqueName("cli_audit_bad");
let mongo: MongoClient;

async function writeChain(dbName: string): Promise<void> {
  const store = createMongoAuditStore(mongo.db(dbName));
  await store.ensureIndexes();
  const writer = createAuditWriter({ store });
  const checkpointer = createCheckpointer({ store, signer, every: 10, intervalMs: 3_600_000 });
  for (let i = 0; i < 30; i += 10) {
    const { head } = await writer.write(sampleIncoming(i, 10));
    await checkpointer.maybeCheckpoint(head);
  }
}

beforeAll(async () => {
  mongo = await MongoClient.connect(testServers().mongoUrl);
  await writeChain(intact);
  await writeChain(tampered);
  const changed = await mongo
    .db(tampered)
    .collection("audit_events")
    .updateOne({ seq: 15 }, { $set: { type: "warden.tampered" } });
  expect(changed.modifiedCount).toBe(1);
});

afterAll(async () => {
  await Promise.all([mongo.db(intact).dropDatabase(), mongo.db(tampered).dropDatabase()]);
  await mongo.close();
});

const verifyArgs = (db: string, ...more: string[]) => [
  "audit",
  "verify",
  "--mongo-url",
  testServers().mongoUrl,
  "--db",
  db,
  "--public-key",
  publicKeyPem,
  ...more,
];

describe("warden audit verify (child process)", { timeout: 30_000 }, () => {
  test("intact chain: OK line naming records and checkpoints, exit 0", async () => {
    const run = await warden(verifyArgs(intact));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^OK: 30 records \(seq 1\.\.head\) and 3 signed checkpoints verify; last seq 30$/m,
    );
    expect(run.stdout).toMatch(/checkpoints from the database/);
  });

  test("--json: one JSON object with the result, exit 0", async () => {
    const run = await warden(verifyArgs(intact, "--json"));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      count: 30,
      lastSeq: 30,
      checkpointsChecked: 3,
      checkpointSource: "database",
      rangeCutAtHead: false,
    });
  });

  test("--to beyond the head: OK, and says the range was cut at the head", async () => {
    const run = await warden(verifyArgs(intact, "--from", "1", "--to", "99999"));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^OK: 30 records \(seq 1\.\.99999\) and 3 signed checkpoints verify; last seq 30 \(range cut at the head: the chain ends at seq 30\)$/m,
    );
    const json = await warden(verifyArgs(intact, "--to", "99999", "--json"));
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, lastSeq: 30, rangeCutAtHead: true });
  });

  test("a modified record: BAD naming seq 15, exit 1", async () => {
    const run = await warden(verifyArgs(tampered));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^BAD: seq 15 /m);
    const json = await warden(verifyArgs(tampered, "--json"));
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBadSeq: 15 });
  });

  test("a different key: the checkpoints do not verify, exit 1", async () => {
    const other = generateKeyPairSync("ed25519").publicKey.export({ format: "pem", type: "spki" });
    const run = await warden([...verifyArgs(intact).slice(0, -1), other.toString(), "--json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false });
  });

  test("NATS unreachable: says what to check on stderr, nothing on stdout, exit 3", async () => {
    const port = await freePort();
    const run = await warden(verifyArgs(intact, "--nats-url", `nats://127.0.0.1:${port}`));
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^warden audit verify: could not verify: reading checkpoints/m);
    expect(run.stderr).toMatch(/check --nats-url/);
  });

  test("usage error (no --db): exit 2, message on stderr", async () => {
    const run = await warden(["audit", "verify", "--mongo-url", testServers().mongoUrl]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/--db/);
  });
});

describe(
  "NATS credentials of the commands that read the stream (--creds, WARDEN_NATS_CREDS)",
  { timeout: 30_000 },
  () => {
    const t = topology(uniqueName("clicreds").toLowerCase());
    let creds: string;
    beforeAll(async () => {
      const nc = await connectNats({
        servers: testServers().natsUrl,
        name: "cli-creds-test",
        ...(await natsCredentials("test-admin")),
      });
      await provisionTopology(nc, t);
      await drainNats(nc);
      const file = await natsCredsFile("service:audit", { namespace: t.namespace });
      if (file === undefined) throw new Error("the harness runs NATS with authentication (ADR 0013)");
      creds = file;
    });
    const streamArgs = (...more: string[]) =>
      verifyArgs(intact, "--nats-url", testServers().natsUrl, "--namespace", t.namespace, ...more);

    test("control: with --creds the stream is read (its checkpoints, none here, are what verify checks)", async () => {
      const run = await warden(streamArgs("--creds", creds, "--json"));
      expect(run.stderr).not.toMatch(/credentials/);
      expect(run.code).not.toBe(3);
      expect(JSON.parse(run.stdout)).toMatchObject({ checkpointSource: "stream" });
      // the same through the environment
      const viaEnv = await warden(streamArgs("--json"), { WARDEN_NATS_CREDS: creds });
      expect(viaEnv.code).toBe(run.code);
      expect(JSON.parse(viaEnv.stdout)).toMatchObject({ checkpointSource: "stream" });
    });

    test("without credentials: exit 3, stderr says to pass --creds or set WARDEN_NATS_CREDS", async () => {
      const run = await warden(streamArgs());
      expect(run.code).toBe(3);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/NATS_CREDS: no credentials given and the server requires them/);
      expect(run.stderr).toMatch(/pass --creds <file> or set WARDEN_NATS_CREDS/);
    });

    test("an unreadable --creds file: usage error naming the flag, exit 2; not a .creds file: exit 3 naming it", async () => {
      const missing = await warden(streamArgs("--creds", "/nonexistent/audit.creds"));
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/--creds: cannot read \/nonexistent\/audit.creds: ENOENT/);
      const fromEnv = await warden(streamArgs(), { WARDEN_NATS_CREDS: "/nonexistent/env.creds" });
      expect(fromEnv.code).toBe(2);
      expect(fromEnv.stderr).toMatch(/WARDEN_NATS_CREDS: cannot read \/nonexistent\/env.creds/);
      const garbage = join(tmpdir(), `${uniqueName("garbage")}.creds`);
      await writeFile(garbage, "not a creds file\n");
      const wrong = await warden(streamArgs("--creds", garbage));
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toMatch(/is not a NATS .creds file/);
      expect(wrong.stderr).toMatch(/check --creds \/ WARDEN_NATS_CREDS/);
    });

    test("--creds without --nats-url is a usage error", async () => {
      const run = await warden(verifyArgs(intact, "--creds", creds));
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--creds: only with --nats-url/);
    });

    test("restore-from-stream takes --creds too: without, it says what to do (exit 2)", async () => {
      const args = [
        "audit",
        "restore-from-stream",
        "--mongo-url",
        testServers().mongoUrl,
        "--db",
        uniqueName("cli_restore"),
        "--nats-url",
        testServers().natsUrl,
        "--namespace",
        t.namespace,
      ];
      const run = await warden(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/pass --creds <file> or set WARDEN_NATS_CREDS/);
      const control = await warden([...args, "--creds", creds]);
      expect(control.stderr).not.toMatch(/credentials/);
    });
  },
);
