// Shared helpers of the audit integration tests: a service started in-process against the run's
// NATS and Mongo-wire servers, with its own namespace and database, and ways to look at its output.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createDevIssuer, type DevIssuer } from "@warden/identity";
import { connectNats, type Topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials, natsCredsFile } from "@warden/testing";
import { MongoClient, type Db } from "mongodb";
import { expect, vi } from "vitest";
import { createMongoAuditStore, type MongoAuditStore } from "../src/adapters/mongo/mongo-audit-store.ts";
import type { AuditRecord } from "../src/domain/audit-record.ts";
import type { Checkpoint } from "../src/domain/checkpoint.ts";
import { loadConfig, type AuditConfig } from "../src/config.ts";
import { AUDIT_DURABLE } from "../src/transport/nats/audit-consumer.ts";

export const JWT_ISSUER = "http://warden-test-issuer";

export type AuditEnv = {
  namespace: string;
  db: string;
  env: Record<string, string>;
  config: AuditConfig;
  issuer: DevIssuer;
  signingKeyPem: string;
  publicKeyPem: string;
};

/** Config for one test file: unique namespace and database, a fresh signing key and dev issuer. */
export async function auditEnv(extra: Record<string, string> = {}): Promise<AuditEnv> {
  const namespace = uniqueName("aud").toLowerCase();
  const db = uniqueName("audit");
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signingKeyPem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const publicKeyPem = publicKey.export({ format: "pem", type: "spki" }).toString();
  const keyFile = join(mkdtempSync(join(tmpdir(), "warden-audit-test-")), "dev-issuer.pem");
  const issuer = await createDevIssuer({ issuer: JWT_ISSUER, audience: "warden", keyFile });
  const servers = testServers();
  const creds = await natsCredsFile("service:audit", { namespace });
  const env: Record<string, string> = {
    NATS_URL: servers.natsUrl,
    ...(creds !== undefined && { NATS_CREDS: creds }),
    MONGO_URL: servers.mongoUrl,
    MONGO_DB: db,
    WARDEN_NAMESPACE: namespace,
    AUDIT_SIGNING_KEY: signingKeyPem,
    JWT_ISSUER,
    JWT_DEV_KEY_FILE: keyFile,
    GRPC_HOST: "127.0.0.1",
    GRPC_INSECURE: "true",
    GRPC_PORT: "0",
    OPS_HOST: "127.0.0.1",
    OPS_PORT: "0",
    LOG_LEVEL: "warn",
    CHECKPOINT_EVERY: "10",
    CHECKPOINT_INTERVAL: "1s",
    AUDIT_PIN_TIMEOUT: "2s",
    AUDIT_RETRY_DELAY: "200ms",
    ...extra,
  };
  return { namespace, db, env, config: loadConfig(env), issuer, signingKeyPem, publicKeyPem };
}

export type Observer = {
  nc: NatsConnection;
  mongo: MongoClient;
  db: Db;
  store: MongoAuditStore;
  close(): Promise<void>;
};

export async function observe(env: AuditEnv): Promise<Observer> {
  const nc = await connectNats({
    servers: env.env.NATS_URL ?? "",
    name: "audit-test",
    ...(await natsCredentials("test-admin")),
  });
  const mongo = await MongoClient.connect(env.env.MONGO_URL ?? "");
  const db = mongo.db(env.db);
  return {
    nc,
    mongo,
    db,
    store: createMongoAuditStore(db),
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await mongo.close();
      await nc.drain();
    },
  };
}

/** vi.waitFor / expect.poll options against the real servers (their default timeout is 1 s). */
export const WAIT = { timeout: 30_000, interval: 50 } as const;

/** `value`, or a throw naming what is still missing, so that `vi.waitFor` tries again. */
export function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`still waiting for ${what}`);
  return value;
}

/** Waits until the chain's head is at least `seq` (vi.waitFor: also usable in hooks). */
export async function headAtLeast(
  store: MongoAuditStore,
  seq: number,
  timeoutMs = WAIT.timeout,
): Promise<void> {
  await vi.waitFor(
    async () => expect((await store.lastRecord())?.seq ?? 0, `head seq ${seq}`).toBeGreaterThanOrEqual(seq),
    { ...WAIT, timeout: timeoutMs },
  );
}

/**
 * A barrier on the audit's durable consumer: waits until it has nothing pending and nothing waiting
 * for an ack (a nak'ed message waiting for its redelivery counts as waiting). Every event published
 * before the call has then been recorded or skipped, so counts read afterwards are final.
 */
export async function auditConsumerSettled(nc: NatsConnection, topology: Topology): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await expect
    .poll(
      async () => {
        const info = await jsm.consumers.info(topology.streams.events, AUDIT_DURABLE);
        return { pending: info.num_pending, ackPending: info.num_ack_pending };
      },
      { ...WAIT, message: "the audit consumer to settle" },
    )
    .toEqual({ pending: 0, ackPending: 0 });
}

export async function allRecords(store: MongoAuditStore): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for await (const r of store.stream(1, Number.MAX_SAFE_INTEGER)) records.push(r);
  return records;
}

/** Everything on one subject filter of the WARDEN_AUDIT stream, read to its end. */
export async function auditStreamMessages(
  nc: NatsConnection,
  topology: Topology,
  subject: string,
): Promise<{ subject: string; msgId: string | undefined; body: unknown }[]> {
  await jetstreamManager(nc);
  const consumer = await jetstream(nc).consumers.get(topology.streams.audit, {
    filter_subjects: [subject],
    deliver_policy: DeliverPolicy.All,
  });
  const out: { subject: string; msgId: string | undefined; body: unknown }[] = [];
  if ((await consumer.info()).num_pending === 0) return out;
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({ subject: m.subject, msgId: m.headers?.get("Nats-Msg-Id"), body: m.json() });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

export type Checkpoints = Checkpoint[];

/** A well-formed envelope (passes decodeEnvelope) by a human actor. */
export function humanEvent(
  id: string,
  actorId: string,
  extra: { type?: string; action?: string; actionId?: string } = {},
): Record<string, unknown> {
  const actionId = extra.actionId ?? `act-${id}`;
  return {
    id,
    type: extra.type ?? "warden.action.requested",
    source: "audit-test",
    time: new Date().toISOString(),
    actionId,
    actor: { type: "human", id: actorId, roles: ["engineer"] },
    data: { actionId, agentId: `agent-of-${actorId}`, action: extra.action ?? "code.deploy" },
  };
}
