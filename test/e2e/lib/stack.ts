// One namespace of Warden for an end-to-end test file: an observer connection that records every
// event in it, a dev token issuer, each service started as its own process on the run's real NATS,
// Temporal dev server and Mongo-wire server with its own NATS credentials, gRPC clients and agents
// the file closes with the stack. Create it at module level (the topology and the event list exist
// at once), `open()` it in beforeAll, `close()` it in afterAll.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createGrpcClient } from "@warden/grpc";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import {
  connectNats,
  decodeEnvelope,
  drainNats,
  provisionTopology,
  topology,
  topologyStreams,
} from "@warden/messaging";
import type { Envelope, Topology } from "@warden/messaging";
import { connect } from "@warden/sdk";
import type { WardenAgent } from "@warden/sdk";
import {
  natsCredentials,
  natsCredsFile,
  startServiceProcess,
  testServers,
  uniqueName,
} from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";

export const E2E_JWT_ISSUER = "warden-e2e";

interface Opened {
  readonly dir: string;
  readonly keyFile: string;
  readonly issuer: DevIssuer;
  readonly nc: NatsConnection;
}

export interface E2eStack {
  readonly t: Topology;
  /** Every event published in the namespace, in the order the observer received them. */
  readonly seen: Envelope<unknown>[];
  readonly processes: Record<string, ServiceProcess>;
  /** The stack's temporary directory (service logs, key files); after `open()`. */
  readonly dir: string;
  readonly issuer: DevIssuer;
  open(): Promise<void>;
  /** Starts `services/<name>` with the namespace, the dev issuer and its own credentials, plus `env`. */
  start(name: string, env?: Record<string, string>): Promise<ServiceProcess>;
  /** The approval service's Temporal keys, on a task queue of its own. */
  temporalEnv(): Record<string, string>;
  /** The audit service's store (a database of its own) and a fresh signing key. */
  auditEnv(): Record<string, string>;
  /** A gRPC client of a started service, calling with `token`; closed with the stack. */
  client: <T extends Parameters<typeof createGrpcClient>[0]>(
    definition: T,
    service: string,
    token: string,
  ) => ReturnType<typeof createGrpcClient<T>>["client"];
  /** A dev token for a person. */
  person: (sub: string, roles: string[]) => Promise<string>;
  /** An agent connected through @warden/sdk with its own NATS credentials; closed with the stack. */
  agent(agentId: string, environment: string): Promise<WardenAgent>;
  close(): Promise<void>;
}

export function e2eStack(label: string): E2eStack {
  const t = topology(uniqueName(label).toLowerCase());
  const seen: Envelope<unknown>[] = [];
  const processes: Record<string, ServiceProcess> = {};
  const clients: { close(): void }[] = [];
  const agents: WardenAgent[] = [];
  let opened: Opened | undefined;
  const get = (): Opened => {
    if (opened === undefined) throw new Error(`e2e stack ${label}: open() it first`);
    return opened;
  };
  const snake = (name: string) => uniqueName(name).replaceAll("-", "_");

  return {
    t,
    seen,
    processes,
    get dir() {
      return get().dir;
    },
    get issuer() {
      return get().issuer;
    },
    async open() {
      const dir = await mkdtemp(join(tmpdir(), `warden-${label}-e2e-`));
      const keyFile = join(dir, "dev-issuer.pem");
      const issuer = await createDevIssuer({ issuer: E2E_JWT_ISSUER, audience: "warden", keyFile });
      const nc = await connectNats({
        servers: testServers().natsUrl,
        name: `${label}-e2e-observer`,
        ...(await natsCredentials("test-admin")),
      });
      await provisionTopology(nc, t);
      nc.subscribe(t.subjects.allEvents, {
        callback: (_err, msg) => void seen.push(decodeEnvelope(msg.data)),
      });
      opened = { dir, keyFile, issuer, nc };
    },
    async start(name, env = {}) {
      const { dir, keyFile } = get();
      const creds = await natsCredsFile(`service:${name}`, { namespace: t.namespace });
      const started = await startServiceProcess(
        name,
        {
          NATS_URL: testServers().natsUrl,
          WARDEN_NAMESPACE: t.namespace,
          JWT_ISSUER: E2E_JWT_ISSUER,
          JWT_DEV_KEY_FILE: keyFile,
          ...(creds === undefined ? {} : { NATS_CREDS: creds }),
          ...env,
        },
        join(dir, `${name}.log`),
      );
      processes[name] = started;
      return started;
    },
    temporalEnv: () => ({
      TEMPORAL_ADDRESS: testServers().temporalAddress,
      TEMPORAL_TASK_QUEUE: uniqueName(`${label}-e2e`),
    }),
    auditEnv: () => ({
      MONGO_URL: testServers().mongoUrl,
      MONGO_DB: snake(`${label}_audit`),
      AUDIT_SIGNING_KEY: generateKeyPairSync("ed25519")
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString(),
    }),
    client: (definition, service, token) => {
      const p = processes[service];
      if (p === undefined) throw new Error(`${service} not started`);
      const c = createGrpcClient(definition, `127.0.0.1:${p.grpcPort}`, { token });
      clients.push(c);
      return c.client;
    },
    person: (sub, roles) => get().issuer.issue({ sub, roles, type: "human" }),
    async agent(agentId, environment) {
      const credsFile = await natsCredsFile(`agent:${agentId}`, { namespace: t.namespace });
      const agent = await connect({
        agentId,
        agentType: "service",
        natsUrl: testServers().natsUrl,
        ...(credsFile !== undefined && { credentials: { credsFile } }),
        namespace: t.namespace,
        environment,
      });
      agents.push(agent);
      return agent;
    },
    async close() {
      for (const a of agents) await a.close();
      for (const c of clients) c.close();
      for (const p of Object.values(processes).reverse()) await p.stop();
      if (opened === undefined) return;
      const jsm = await jetstreamManager(opened.nc);
      for (const name of topologyStreams(t)) await jsm.streams.delete(name).catch(() => undefined);
      await drainNats(opened.nc);
      await rm(opened.dir, { recursive: true, force: true });
    },
  };
}
