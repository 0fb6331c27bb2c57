// Connection, idempotent provisioning and shutdown for Warden's NATS topology.
import {
  jetstreamManager,
  JetStreamApiError,
  StorageType,
  DiscardPolicy,
  RetentionPolicy,
} from "@nats-io/jetstream";
import type { JetStreamManager, StreamConfig } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { KvOptions } from "@nats-io/kv";
import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, nanos } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Topology } from "./subjects.ts";

export type NatsConnectOptions = {
  servers: string | string[];
  /** Shown in the server's connection list; use the service name. */
  name: string;
  user?: string | undefined;
  pass?: string | undefined;
  token?: string | undefined;
  /** A .creds file's text (user JWT + seed), e.g. from @warden/testing `natsCredentials`. */
  creds?: string | undefined;
  /** Path of a .creds file (config key NATS_CREDS); read here, a missing file names the key. */
  credsFile?: string | undefined;
  /** Where replies arrive; an agent must use its own (`agentInboxPrefix`, NATS_INBOX_PREFIX). */
  inboxPrefix?: string | undefined;
  /** Wait between reconnect attempts (nats.js default 2 s). */
  reconnectTimeWaitMs?: number | undefined;
};

/** A connection refused for its credentials (or their absence), naming the config key to fix. */
export class NatsCredentialsError extends Error {
  override readonly name = "NatsCredentialsError";
}

function credsText(options: NatsConnectOptions): string | undefined {
  if (options.creds !== undefined) return options.creds;
  if (options.credsFile === undefined) return undefined;
  try {
    return readFileSync(options.credsFile, "utf8");
  } catch (err) {
    throw new NatsCredentialsError(
      `NATS_CREDS: cannot read the credentials file ${options.credsFile}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function isAuthError(err: unknown): boolean {
  const text = `${(err as Error).name} ${(err as Error).message}`;
  return /authoriz|authenticat|permissions|user.*revoked|expired/i.test(text);
}

export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const creds = credsText(options);
  if (creds !== undefined && !creds.includes("-----BEGIN NATS USER JWT-----")) {
    throw new NatsCredentialsError(
      `NATS_CREDS: ${options.credsFile ?? "the credentials"} is not a NATS .creds file (no user JWT block)`,
    );
  }
  try {
    return await connectWith(options, creds);
  } catch (err) {
    if (!isAuthError(err)) throw err;
    const key =
      creds !== undefined
        ? "NATS_CREDS"
        : options.token !== undefined
          ? "NATS_TOKEN"
          : options.user !== undefined
            ? "NATS_USER"
            : "NATS_CREDS";
    const what =
      creds === undefined && options.token === undefined && options.user === undefined
        ? "no credentials given and the server requires them"
        : "the server refused the credentials";
    throw new NatsCredentialsError(`${key}: ${what} (${(err as Error).message})`, { cause: err });
  }
}

async function connectWith(options: NatsConnectOptions, creds: string | undefined): Promise<NatsConnection> {
  return connect({
    servers: options.servers,
    name: options.name,
    maxReconnectAttempts: -1,
    // nats.js otherwise builds an Error (a stack trace) for every request up front, so a timeout can
    // show where the request was made: measured at 13% of the policy service's busy time per decision.
    noAsyncTraces: true,
    ...(options.user !== undefined && { user: options.user, pass: options.pass }),
    ...(options.token !== undefined && { token: options.token }),
    ...(creds !== undefined && { authenticator: credsAuthenticator(new TextEncoder().encode(creds)) }),
    ...(options.inboxPrefix !== undefined && { inboxPrefix: options.inboxPrefix }),
    ...(options.reconnectTimeWaitMs !== undefined && { reconnectTimeWait: options.reconnectTimeWaitMs }),
  });
}

export type ProvisionOptions = {
  /** Stream replicas: 1 for a single server, 3 in a production cluster. */
  replicas?: number;
  /** The window within which a re-published event id is dropped as a duplicate. */
  duplicateWindowMs?: number;
  /** How long WARDEN_EVENTS keeps events (the audit is the long-term record). */
  eventsMaxAgeMs?: number;
};

export type ProvisionReport = { created: string[]; updated: string[]; unchanged: string[] };

type StreamSpec = Pick<
  StreamConfig,
  | "name"
  | "subjects"
  | "description"
  | "storage"
  | "retention"
  | "discard"
  | "duplicate_window"
  | "max_age"
  | "num_replicas"
>;

export function streamSpecs(topology: Topology, options: ProvisionOptions = {}): StreamSpec[] {
  const replicas = options.replicas ?? 1;
  const duplicateWindow = nanos(options.duplicateWindowMs ?? 2 * 60_000);
  return [
    {
      name: topology.streams.events,
      description:
        "Warden domain events (action requests, decisions, approvals, kill switch, rollback, invalid)",
      subjects: [topology.subjects.allEvents],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      duplicate_window: duplicateWindow,
      max_age: nanos(options.eventsMaxAgeMs ?? 7 * 24 * 3_600_000),
      num_replicas: replicas,
    },
    {
      name: topology.streams.audit,
      description: "Committed audit records and signed checkpoints, replayable by downstream consumers",
      subjects: [topology.subjects.auditAll],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      duplicate_window: duplicateWindow,
      max_age: 0,
      num_replicas: replicas,
    },
  ];
}

type BucketSpec = { name: string; options: Partial<KvOptions> };

/** The KV buckets of the topology (created when missing; an existing bucket is left as it is). */
export function bucketSpecs(topology: Topology, options: ProvisionOptions = {}): BucketSpec[] {
  const replicas = options.replicas ?? 1;
  return [
    {
      name: topology.kv.killswitch,
      options: {
        history: 16,
        replicas,
        storage: StorageType.File,
        description: "Emergency-stop state (kill switch), watched by every service and agent",
      },
    },
    {
      name: topology.kv.approvalLinks,
      options: {
        history: 1,
        replicas,
        storage: StorageType.File,
        // Per-message TTL (allow_msg_ttl): each used link id lives as long as its link could be
        // replayed, then disappears; the delete marker itself lives a minute.
        markerTTL: 60_000,
        description: "Used signed approval links (single use), one key per link id with the link's TTL",
      },
    },
    {
      name: topology.kv.killswitchReplays,
      options: {
        history: 1,
        replicas,
        storage: StorageType.File,
        // Per-message TTL: a used chat request lives as long as its timestamp is accepted.
        markerTTL: 60_000,
        description: "Signed chat commands already used (kill-switch replay guard across replicas)",
      },
    },
  ];
}

/** Every stream the topology provisions (the two event streams and each KV bucket's stream). */
export function topologyStreams(topology: Topology): string[] {
  return [
    topology.streams.events,
    topology.streams.audit,
    ...bucketSpecs(topology).map((bucket) => `KV_${bucket.name}`),
  ];
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.status === 404;
}

function differs(spec: StreamSpec, current: StreamConfig, replicasGiven: boolean): boolean {
  return (
    (replicasGiven && spec.num_replicas !== current.num_replicas) ||
    JSON.stringify([...spec.subjects].sort()) !== JSON.stringify([...current.subjects].sort()) ||
    spec.duplicate_window !== current.duplicate_window ||
    spec.max_age !== current.max_age ||
    spec.description !== current.description
  );
}

/**
 * Creates the streams and the KV buckets (kill switch, used approval links) when missing and brings drifted ones back to
 * their spec. Running it twice is a no-op (the second report lists everything as unchanged). The
 * replica count counts as drift only when `replicas` is given (a stream at R3 is left alone by a
 * caller that did not say), and only for the streams: the bucket keeps the count it was made with.
 */
export async function provisionTopology(
  nc: NatsConnection,
  topology: Topology,
  options: ProvisionOptions = {},
): Promise<ProvisionReport> {
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const report: ProvisionReport = { created: [], updated: [], unchanged: [] };
  for (const spec of streamSpecs(topology, options)) {
    let current: StreamConfig | undefined;
    try {
      current = (await jsm.streams.info(spec.name)).config;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (current === undefined) {
      await jsm.streams.add(spec);
      report.created.push(spec.name);
    } else if (differs(spec, current, options.replicas !== undefined)) {
      await jsm.streams.update(spec.name, { ...current, ...spec });
      report.updated.push(spec.name);
    } else {
      report.unchanged.push(spec.name);
    }
  }
  const kvm = new Kvm(nc);
  for (const bucket of bucketSpecs(topology, options)) {
    let exists = true;
    try {
      await jsm.streams.info(`KV_${bucket.name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      exists = false;
    }
    if (exists) {
      report.unchanged.push(`KV_${bucket.name}`);
    } else {
      await kvm.create(bucket.name, bucket.options);
      report.created.push(`KV_${bucket.name}`);
    }
  }
  return report;
}

/** Drains subscriptions and pending publishes, then closes; safe to call twice. */
export async function drainNats(nc: NatsConnection): Promise<void> {
  if (nc.isClosed()) return;
  try {
    await nc.drain();
  } catch (err) {
    // Draining a connection that is already draining or closing is not an error at shutdown.
    if (!nc.isClosed() && !nc.isDraining()) throw err;
  }
}
