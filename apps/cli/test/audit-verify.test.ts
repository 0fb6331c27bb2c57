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
import { freePort, testServers, uniqueName } from "@warden/testing";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

type Run = { code: number | null; stdout: string; stderr: string };

function warden(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: "pipe" });
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
