import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, createPublisher, provisionTopology, topology as makeTopology } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import type { NatsConfig } from "@warden/config";

export type ServiceNatsOptions = {
  /** The service name: the events' `source`. */
  service: string;
  /** The NATS keys (NATS_URL, NATS_CREDS, NATS_STREAM_REPLICAS, …) and WARDEN_NAMESPACE. */
  config: NatsConfig & { WARDEN_NAMESPACE: string };
  /** Shown in the server's connection list; default the service name. */
  connectionName?: string | undefined;
};

export type ServiceNats = {
  nc: NatsConnection;
  topology: Topology;
  publisher: EventPublisher;
};

/** Connects, provisions the streams and buckets (idempotent) and makes the service's publisher. */
export async function connectServiceNats(options: ServiceNatsOptions): Promise<ServiceNats> {
  const topology = makeTopology(options.config.WARDEN_NAMESPACE);
  const nc = await connectNats({
    servers: options.config.NATS_URL,
    name: options.connectionName ?? options.service,
    credsFile: options.config.NATS_CREDS,
    token: options.config.NATS_TOKEN,
    user: options.config.NATS_USER,
    pass: options.config.NATS_PASSWORD,
    inboxPrefix: options.config.NATS_INBOX_PREFIX,
  });
  // Replicas are always passed: a stream found at another count is brought to this one (R1 → R3 when a
  // cluster grows), so every replica of every service must be given the same NATS_STREAM_REPLICAS.
  await provisionTopology(nc, topology, { replicas: options.config.NATS_STREAM_REPLICAS ?? 1 });
  const publisher = createPublisher(nc, { source: options.service });
  return { nc, topology, publisher };
}
