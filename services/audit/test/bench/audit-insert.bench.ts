// Write and read-back rates against a Mongo-wire server, beside a bare insertMany loop into the
// same server in the same run.
//   MONGO_URL=mongodb://127.0.0.1:27017/ node services/audit/test/bench/audit-insert.bench.ts [events=20000] [batch=100]
// Uses (and drops) a database of its own.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { MongoClient } from "mongodb";
import { sampleIncoming } from "@warden/audit/sample-events";
import {
  createAuditWriter,
  CheckpointSigner,
  EMPTY_CHAIN,
  FieldEncryptor,
  createMongoAuditStore,
  chainRecords,
  parseEncryptionKey,
  recordFromEvent,
  verifyStoredChain,
  type AuditEventDocument,
} from "@warden/audit";

const url = process.env.MONGO_URL;
if (url === undefined || url === "") {
  console.error("set MONGO_URL, e.g. MONGO_URL=mongodb://127.0.0.1:27017/");
  process.exit(2);
}
const total = Number(process.argv[2] ?? 20_000);
const batchSize = Number(process.argv[3] ?? 100);

const client = await MongoClient.connect(url);
const db = client.db(`audit-bench-${process.pid}-${randomBytes(3).toString("hex")}`);
const rate = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString("en")}/s`;

try {
  const encryptor = new FieldEncryptor({
    key: parseEncryptionKey(randomBytes(32).toString("base64")),
    paths: ["data.message.body", "data.request.message.body"],
  });

  // 1. Bare insertMany of the same documents (pre-built records), w: majority, ordered.
  const bare = db.collection<AuditEventDocument>("bare_insert", { writeConcern: { w: "majority" } });
  await bare.createIndex({ seq: 1 }, { unique: true });
  const prebuilt = chainRecords(
    sampleIncoming(0, total).map((e) =>
      encryptor.encrypt(recordFromEvent(e.envelope, e.subject, { receivedAt: new Date() })),
    ),
    EMPTY_CHAIN,
    new Date(),
  ).map((r) => ({ _id: r.eventId, ...r }));
  let t0 = performance.now();
  for (let i = 0; i < prebuilt.length; i += batchSize)
    await bare.insertMany(prebuilt.slice(i, i + batchSize), { ordered: true });
  const bareMs = performance.now() - t0;

  // 2. AuditWriter end to end: map, encrypt, chain, insert (events/s).
  const store = createMongoAuditStore(db);
  await store.ensureIndexes();
  const writer = createAuditWriter({ store, encryptor });
  const events = sampleIncoming(0, total);
  t0 = performance.now();
  let committed = 0;
  for (let i = 0; i < events.length; i += batchSize)
    committed += (await writer.write(events.slice(i, i + batchSize))).committed.length;
  const writerMs = performance.now() - t0;

  // 3. Verify from the database (one cursor, chunks of 10k).
  const signer = new CheckpointSigner(generateKeyPairSync("ed25519").privateKey);
  t0 = performance.now();
  const verified = await verifyStoredChain({ store, publicKeys: signer.publicKey });
  const verifyMs = performance.now() - t0;
  if (!verified.ok || committed !== total)
    throw new Error(`unexpected: committed ${committed}, ${JSON.stringify(verified)}`);

  console.log(`events: ${total}, batch: ${batchSize}, server: ${url}`);
  console.log(`bare insertMany (w: majority):      ${rate(total, bareMs)} docs`);
  console.log(`AuditWriter.write (end to end):     ${rate(total, writerMs)} events`);
  console.log(`verify from the database (stream):  ${rate(total, verifyMs)} records`);
} finally {
  await db.dropDatabase();
  await client.close();
}
