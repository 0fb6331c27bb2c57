import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { serverBinary } from "./server-binary.ts";
import { freePort, startServer, type ServerHandle, type ServerOptions } from "./server-process.ts";

export interface NatsOptions extends ServerOptions {
  /** HTTP monitoring port (`-m`); off unless given. */
  monitorPort?: number;
}

export interface NatsServer extends ServerHandle {
  readonly url: string;
}

/** Answers when a client connects and JetStream returns the account info. */
export async function natsAnswers(url: string): Promise<void> {
  const nc = await connect({ servers: url, timeout: 1_000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1_000 });
    await jsm.getAccountInfo();
  } finally {
    await nc.close();
  }
}

/** nats-server with JetStream, store in the data dir. */
export async function startNats(options: NatsOptions = {}): Promise<NatsServer> {
  const url = (port: number): string => `nats://127.0.0.1:${port}`;
  return startServer(
    "nats-server",
    options,
    ({ port, dataDir }) => ({
      binary: serverBinary("nats"),
      args: [
        "-a",
        "127.0.0.1",
        "-p",
        String(port),
        "-js",
        "-sd",
        dataDir,
        ...(options.monitorPort === undefined ? [] : ["-m", String(options.monitorPort)]),
      ],
      ready: () => natsAnswers(url(port)),
    }),
    ({ port }) => ({ url: url(port) }),
  );
}

export interface NatsClusterNode extends NatsServer {
  /** `server_name`: what JetStream reports as a stream's leader or replica. */
  readonly serverName: string;
}

export interface NatsCluster extends AsyncDisposable {
  readonly nodes: readonly NatsClusterNode[];
  /** Every member's client URL (pass all of them to a client's `servers`). */
  readonly urls: readonly string[];
  /** The node JetStream names `serverName`. */
  node(serverName: string): NatsClusterNode;
  /** Stops every node still running (each by its own pid). */
  stop(): Promise<void>;
}

/**
 * A `size`-node nats-server cluster with JetStream on loopback: routes between every member, each
 * with its own store directory, started together (JetStream needs a quorum to answer). Stop one
 * node with `node.stop()` (SIGTERM, by pid) or `process.kill(node.pid, "SIGKILL")`.
 */
export async function startNatsCluster(
  size = 3,
  options: { clusterName?: string } = {},
): Promise<NatsCluster> {
  const clusterName = options.clusterName ?? `warden-test-${process.pid}`;
  const clusterPorts: number[] = [];
  // Free ports chosen up front: every member's routes name every other member's cluster port.
  while (clusterPorts.length < size) {
    const port = await freePort();
    if (!clusterPorts.includes(port)) clusterPorts.push(port);
  }
  const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  const nodes = await Promise.all(
    clusterPorts.map(async (clusterPort, i) => {
      const serverName = `${clusterName}-n${i}`;
      const url = (port: number): string => `nats://127.0.0.1:${port}`;
      const server = await startServer(
        `nats-server-n${i}`,
        { readyTimeoutMs: 60_000 },
        ({ port, dataDir }) => ({
          binary: serverBinary("nats"),
          args: [
            "-a",
            "127.0.0.1",
            "-p",
            String(port),
            "-js",
            "-sd",
            dataDir,
            "--server_name",
            serverName,
            "--cluster_name",
            clusterName,
            "--cluster",
            `nats://127.0.0.1:${clusterPort}`,
            "--routes",
            routes,
          ],
          ready: () => natsAnswers(url(port)),
        }),
        ({ port }) => ({ url: url(port), serverName }),
      );
      return server;
    }),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    node: (serverName) => {
      const found = nodes.find((n) => n.serverName === serverName);
      if (found === undefined) throw new Error(`no cluster node named ${serverName}`);
      return found;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
