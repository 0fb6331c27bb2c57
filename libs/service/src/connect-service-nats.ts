import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, createPublisher, provisionTopology, topology as makeTopology } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import type { NatsConfig } from "@warden/config";

export type ServiceNatsOptions = {
  /** The service name: the events' `source`. */
  service: string;
  /** The NATS keys (NATS_URL, NATS_CREDS, …) and WARDEN_NAMESPACE. */
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
  await provisionTopology(nc, topology);
  const publisher = createPublisher(nc, { source: options.service });
  return { nc, topology, publisher };
}
