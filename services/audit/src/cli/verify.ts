// `warden audit verify` (to be folded into the warden CLI): recomputes the stored chain and checks
// the signed checkpoints, naming the first bad seq. Needs only read access to the database.
//
//   node services/audit/src/cli/verify.ts --mongo-url mongodb://127.0.0.1:27017/ --db warden_audit \
//     --public-key audit-signing.pub.pem [--nats-url nats://127.0.0.1:4222 [--namespace ns]] [--json]
//
// With --nats-url the checkpoints come from the WARDEN_AUDIT stream, outside the database (so a
// rewrite by someone with database access is caught even if they rewrote audit_checkpoints too);
// without it, from the database. Exit status: 0 intact, 1 a problem found, 2 could not verify.
import { existsSync, readFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import { Command, InvalidArgumentError, Option } from "commander";
import { MongoClient } from "mongodb";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats, drainNats, topology as makeTopology } from "@warden/messaging";
import { MongoAuditStore } from "../adapters/mongo/mongo-audit-store.ts";
import { verifyStoredChain } from "../app/verify-stored-chain.ts";
import { parsePublicKey, signingKeyId, type Checkpoint } from "../domain/checkpoint.ts";
import type { VerifyChainResult } from "../domain/verify-chain.ts";

type Options = {
  mongoUrl: string;
  db: string;
  publicKey: KeyObject[];
  from?: number;
  to?: number;
  natsUrl?: string;
  namespace: string;
  json: boolean;
};

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number ≥ 1");
  return n;
}

function publicKeyArg(value: string, previous: KeyObject[] = []): KeyObject[] {
  const text = existsSync(value) ? readFileSync(value, "utf8") : value;
  try {
    return [...previous, parsePublicKey(text, "--public-key")];
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : "not an Ed25519 public key");
  }
}

/** Every checkpoint published on the audit stream (an ordered consumer read to the end). */
async function checkpointsFromStream(natsUrl: string, namespace: string): Promise<Checkpoint[]> {
  const topology = makeTopology(namespace);
  const nc = await connectNats({ servers: natsUrl, name: "warden-audit-verify" });
  try {
    await jetstreamManager(nc); // fails early, with a clear error, when JetStream is unavailable
    const consumer = await jetstream(nc).consumers.get(topology.streams.audit, {
      filter_subjects: [topology.subjects.auditCheckpoint],
      deliver_policy: DeliverPolicy.All,
    });
    const found: Checkpoint[] = [];
    if ((await consumer.info()).num_pending === 0) return found;
    const messages = await consumer.consume();
    for await (const msg of messages) {
      found.push(msg.json<Checkpoint>());
      if (msg.info.pending === 0) break;
    }
    await messages.close();
    return found;
  } finally {
    await drainNats(nc);
  }
}

function describe(result: VerifyChainResult, range: string): string {
  if (result.ok) {
    return `OK: ${result.count} records (${range}) and ${result.checkpointsChecked} signed checkpoints verify; last seq ${result.lastSeq}`;
  }
  const suspect =
    result.suspectFromSeq === undefined ? "" : ` (records from seq ${result.suspectFromSeq} are suspect)`;
  return `BAD: seq ${result.firstBadSeq} ${result.problem}${suspect}: ${result.detail}\n     ${result.count} records verified before it; last good seq ${result.lastGoodSeq}`;
}

async function run(options: Options): Promise<number> {
  const checkpoints =
    options.natsUrl === undefined
      ? undefined
      : await checkpointsFromStream(options.natsUrl, options.namespace);
  const client = new MongoClient(options.mongoUrl, {
    serverSelectionTimeoutMS: 10_000,
    appName: "warden-audit-verify",
  });
  try {
    await client.connect();
    const store = new MongoAuditStore(client.db(options.db));
    const publicKeys = new Map(options.publicKey.map((k) => [signingKeyId(k), k]));
    const started = performance.now();
    const result = await verifyStoredChain(
      { store, publicKeys },
      { fromSeq: options.from, toSeq: options.to, checkpoints },
    );
    const seconds = (performance.now() - started) / 1000;
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ ...result, seconds, checkpointSource: checkpoints ? "stream" : "database" })}\n`,
      );
    } else {
      const range = `seq ${options.from ?? 1}..${options.to ?? "head"}`;
      process.stdout.write(`${describe(result, range)}\n`);
      process.stdout.write(
        `     checkpoints from the ${checkpoints ? "audit stream" : "database"}; ${seconds.toFixed(2)} s\n`,
      );
    }
    return result.ok ? 0 : 1;
  } finally {
    await client.close();
  }
}

const program = new Command()
  .name("warden audit verify")
  .description("Recompute the audit hash chain and check the signed checkpoints; name the first bad record.")
  .requiredOption("--mongo-url <url>", "Mongo-wire server, e.g. mongodb://127.0.0.1:27017/")
  .requiredOption("--db <name>", "audit database, e.g. warden_audit")
  .requiredOption(
    "--public-key <key>",
    "checkpoint verification key: a file or the key (SPKI PEM, or base64 of the 32 raw bytes); repeat for rotated keys",
    publicKeyArg,
  )
  .option("--from <seq>", "first seq (default 1)", positiveInt)
  .option(
    "--to <seq>",
    "last seq (default the head; checkpoints beyond it then expose truncation)",
    positiveInt,
  )
  .option("--nats-url <url>", "read checkpoints from the WARDEN_AUDIT stream instead of the database")
  .addOption(new Option("--namespace <ns>", "WARDEN_NAMESPACE of the installation").default(""))
  .option("--json", "print the result as one JSON object", false)
  .showHelpAfterError()
  // Exit 1 is reserved for "the chain is bad": usage errors exit 2.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program.parse();
run(program.opts<Options>()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`warden audit verify: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
