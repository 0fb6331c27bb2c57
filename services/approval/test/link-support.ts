// Shared set-up of the link integration tests: a namespace on the shared NATS server with the
// topology provisioned (so the used-links bucket is the real one), and the links HTTP handler on
// a real local HTTP server on a free port.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, drainNats, provisionTopology, topology, topologyStreams } from "@warden/messaging";
import type { Topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { createKvUsedLinkStore } from "../src/adapters/nats/kv-used-link-store.ts";
import type { UsedLinkStore } from "../src/app/ports.ts";
import { approvalLinksHttp } from "../src/transport/http/approval-links-http.ts";
import type { LinkVotes } from "../src/app/link-votes.ts";

export interface KvNamespace {
  nc: NatsConnection;
  t: Topology;
  used: () => Promise<UsedLinkStore>;
  close(): Promise<void>;
}

export async function kvNamespace(prefix: string): Promise<KvNamespace> {
  const nc = await connectNats({
    servers: testServers().natsUrl,
    name: prefix,
    ...(await natsCredentials("test-admin")),
  });
  const t = topology(uniqueName(prefix).toLowerCase());
  await provisionTopology(nc, t);
  return {
    nc,
    t,
    used: async () => createKvUsedLinkStore(await new Kvm(nc).open(t.kv.approvalLinks)),
    async close() {
      const jsm = await jetstreamManager(nc);
      for (const name of topologyStreams(t)) await jsm.streams.delete(name).catch(() => undefined);
      await drainNats(nc);
    },
  };
}

export interface LinkServer {
  baseUrl: string;
  close(): Promise<void>;
}

/** Serves the links handler; `baseUrl` is both where it listens and the configured public origin. */
export async function startLinkServer(links: LinkVotes): Promise<LinkServer> {
  const serve: { handler?: ReturnType<typeof approvalLinksHttp> } = {};
  const server = createServer((req, res) => {
    void (async () => {
      if (serve.handler === undefined || !(await serve.handler(req, res))) {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  serve.handler = approvalLinksHttp({ links, baseUrl });
  return {
    baseUrl,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
