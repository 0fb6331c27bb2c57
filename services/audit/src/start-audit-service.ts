// Composition root of the audit service: NATS → streams → Mongo → writer, recorder (publishing
// downstream) → consumer → gRPC → ops server → ready. main.ts calls it after config and telemetry;
// integration tests call it in-process.
import { hostname } from "node:os";
import type { KeyObject } from "node:crypto";
import { MongoClient } from "mongodb";
import { drainNats } from "@warden/messaging";
import { connectServiceNats, createVerifier, natsHealth, startServiceGrpc } from "@warden/service";
import { createLogger, createMetricsRegistry, healthFrom, startOpsServer } from "@warden/telemetry";
import { createAuditMetrics } from "./adapters/metrics.ts";
import { createMongoAuditStore } from "./adapters/mongo/mongo-audit-store.ts";
import { natsAccessLog } from "./adapters/nats/nats-access-log.ts";
import { natsReportLog } from "./adapters/nats/nats-report-log.ts";
import { natsRecordFeed } from "./adapters/nats/nats-record-feed.ts";
import { natsRecordPublisher } from "./adapters/nats/nats-record-publisher.ts";
import { publishStoreBehind } from "./adapters/nats/nats-store-behind.ts";
import { streamCheckpoints } from "./adapters/nats/stream-checkpoints.ts";
import { createAuditReader } from "./app/audit-reader.ts";
import { createReportRecorder } from "./app/record-report.ts";
import type { AuditStore } from "./app/ports.ts";
import { createAuditRecorder } from "./app/audit-recorder.ts";
import { createAuditWriter } from "./app/audit-writer.ts";
import { checkStoreHead, STORE_BEHIND_SOURCES } from "./app/check-store-head.ts";
import { createCheckpointer } from "./app/checkpointer.ts";
import type { AuditConfig } from "./config.ts";
import { CheckpointSigner, signingKeyId } from "./domain/checkpoint.ts";
import { FieldEncryptor } from "./domain/field-encryption.ts";
import { auditGrpcService } from "./transport/grpc/audit-grpc.ts";
import { withTeamClaim } from "./transport/grpc/team-claim-verifier.ts";
import { consumeAllEvents, type RunningAuditConsumer } from "./transport/nats/audit-consumer.ts";

const SERVICE = "audit";

/** What to do when the store is behind the audit stream (README "Recovery: store behind the stream"). */
export const STORE_BEHIND_RECOVERY =
  "stop the audit service, run `warden audit restore-from-stream --mongo-url … --db … --nats-url …` (or restore the database from a backup that reaches the stream's seq), check with `warden audit verify --nats-url …`, then start the service again; see services/audit/README.md, Recovery: store behind the stream";

export interface RunningAuditService {
  readonly grpcPort: number;
  readonly opsPort: number;
  /** Key id of the checkpoint signing key (publish it with the public key for outside verifiers). */
  readonly signingKeyId: string;
  /**
   * Whether this replica refused to write because the store's head is behind the audit stream
   * (it serves reads, and fails readiness, until it is restarted on a restored store).
   */
  readonly refused: boolean;
  /** Stops taking work, finishes the batch in flight, publishes what is queued, closes connections. */
  stop(): Promise<void>;
}

export type AuditServiceOptions = {
  /** Tests: wrap the Mongo store, e.g. to inject failures. */
  wrapStore?: ((store: AuditStore) => AuditStore) | undefined;
};

export async function startAuditService(
  config: AuditConfig,
  options: AuditServiceOptions = {},
): Promise<RunningAuditService> {
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const { nc, topology, publisher } = await connectServiceNats({
    service: SERVICE,
    config,
    connectionName: `${SERVICE}@${hostname()}:${process.pid}`,
  });

  // Fail a write fast when the store is unreachable, so the batch is nak'ed and redelivered
  // instead of waiting out the driver's default 30 s server selection; notice its return within
  // about a second (the default heartbeat is 10 s). The socket timeout only catches a hung
  // connection: start-up reads of the chain's tail are collection scans on FerretDB (~30 s per
  // 50k records measured), so it is generous.
  const mongo = new MongoClient(config.MONGO_URL, {
    appName: SERVICE,
    serverSelectionTimeoutMS: 5_000,
    heartbeatFrequencyMS: 1_000,
    connectTimeoutMS: 5_000,
    socketTimeoutMS: 300_000,
  });
  await mongo.connect();
  const mongoStore = createMongoAuditStore(mongo.db(config.MONGO_DB), {
    insertChunk: config.MONGO_INSERT_CHUNK,
  });
  if (config.MONGO_CREATE_INDEXES) await mongoStore.ensureIndexes();
  const store = options.wrapStore?.(mongoStore) ?? mongoStore;

  const signer = new CheckpointSigner(config.signingKey);
  const publicKeys = new Map<string, KeyObject>([[signer.keyId, signer.publicKey]]);
  for (const key of config.AUDIT_VERIFY_KEYS) publicKeys.set(signingKeyId(key), key);
  const encryptor =
    config.AUDIT_ENCRYPTION_KEY !== undefined && config.AUDIT_ENCRYPTED_FIELDS.length > 0
      ? new FieldEncryptor({ key: config.AUDIT_ENCRYPTION_KEY, paths: config.AUDIT_ENCRYPTED_FIELDS })
      : undefined;

  const writer = createAuditWriter({
    store,
    encryptor,
    logger: log,
    dedupeWindow: config.AUDIT_DEDUPE_WINDOW,
  });
  const checkpointer = createCheckpointer({
    store,
    signer,
    every: config.CHECKPOINT_EVERY,
    intervalMs: config.CHECKPOINT_INTERVAL,
    logger: log,
  });
  const recordPublisher = natsRecordPublisher(nc, topology);
  const recorder = createAuditRecorder({
    writer,
    checkpointer,
    store,
    publisher: recordPublisher,
    logger: log,
  });

  const registry = createMetricsRegistry({ service: SERVICE });
  const metrics = createAuditMetrics(registry);

  // Never extend a store that lost what was already signed or published (check-store-head.ts).
  const behind = await checkStoreHead({ head: () => writer.head(), published: recordPublisher });
  for (const source of STORE_BEHIND_SOURCES) {
    metrics.storeBehind.set({ source }, behind.some((b) => b.source === source) ? 1 : 0);
  }
  const replica = `${hostname()}:${process.pid}`;
  let consumer: RunningAuditConsumer | undefined;
  if (behind.length > 0) {
    log.error(
      { behind, recovery: STORE_BEHIND_RECOVERY },
      "audit store is behind the audit stream (its tail was lost); refusing to write",
    );
    await publishStoreBehind(publisher, topology, behind, { replica, recovery: STORE_BEHIND_RECOVERY }).catch(
      (err: unknown) => log.error({ err }, "could not publish warden.audit.store_behind"),
    );
  } else {
    await recorder.start();
    consumer = await consumeAllEvents({
      nc,
      topology,
      recorder,
      publisher,
      log,
      metrics,
      batchSize: config.AUDIT_BATCH_SIZE,
      maxAckPending: config.AUDIT_MAX_ACK_PENDING,
      ackWaitMs: config.AUDIT_ACK_WAIT,
      pinTimeoutMs: config.AUDIT_PIN_TIMEOUT,
      retryDelayMs: config.AUDIT_RETRY_DELAY,
    });
  }
  const ticker = setInterval(
    () => {
      if (consumer === undefined) return;
      recorder.tick().catch((err: unknown) => log.warn({ err }, "checkpoint tick failed"));
      metrics.outbox.set(recorder.outboxSize);
    },
    Math.min(1_000, config.CHECKPOINT_INTERVAL),
  );

  const roles = { all: config.AUDIT_ROLES_ALL, team: config.AUDIT_ROLES_TEAM, own: config.AUDIT_ROLES_OWN };
  const reports = createReportRecorder({ log: natsReportLog(publisher, topology), roles });
  const reader = createAuditReader({
    store,
    accessLog: natsAccessLog(publisher, topology),
    feed: natsRecordFeed(nc, topology, { logger: log }),
    publicKeys,
    checkpoints: streamCheckpoints(nc, topology),
    roles,
  });
  const { server: grpc, port: grpcPort } = await startServiceGrpc({
    logger: log,
    verifier: withTeamClaim(await createVerifier(config), config.AUDIT_TEAM_CLAIM),
    services: [auditGrpcService(reader, reports)],
    config,
    registry,
    refusals: { service: SERVICE, publisher, topology },
  });

  const natsCheck = natsHealth(nc);
  const ops = await startOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    registry,
    // Liveness: the process can do its work once its dependencies are back; a store outage is not
    // a reason to restart it (the backlog waits in the stream).
    health: healthFrom({
      nats: natsCheck,
      // A replica that refused to write stays alive (restarting it changes nothing) but not ready.
      consumer: () => {
        if (consumer === undefined) return "refused: store behind the audit stream";
        if (!consumer.running()) throw new Error("stopped");
        return "running";
      },
    }),
    ready: healthFrom({
      nats: natsCheck,
      store: () => {
        if (behind.length > 0) {
          throw new Error(
            `store head seq ${behind[0]?.storeHeadSeq ?? 0} is behind the audit stream (${behind.map((b) => `${b.source} ${b.expectedSeq}`).join(", ")}); not writing`,
          );
        }
        return "head not behind the audit stream";
      },
      mongo: async () => {
        await mongo.db(config.MONGO_DB).command({ ping: 1 });
        return "reachable";
      },
    }),
  });
  log.info(
    {
      grpcPort,
      opsPort: ops.port,
      keyId: signer.keyId,
      namespace: topology.namespace,
      writing: consumer !== undefined,
    },
    consumer === undefined ? "audit service up, serving reads only (not writing)" : "audit service ready",
  );

  let stopped: Promise<void> | undefined;
  return {
    grpcPort,
    opsPort: ops.port,
    signingKeyId: signer.keyId,
    refused: consumer === undefined,
    stop() {
      stopped ??= (async () => {
        await grpc.shutdown(5_000);
        clearInterval(ticker);
        if (consumer !== undefined) {
          await consumer.stop();
          await recorder.tick().catch(() => undefined);
          await recorder.stop();
        }
        await drainNats(nc);
        await mongo.close();
        await ops.close();
      })();
      return stopped;
    },
  };
}
