import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import type { Authenticator } from "@nats-io/transport-node";
import { accountJwts, issueUser, natsServerAuthConfig, parseIdentity } from "@warden/nats-auth";
import type { NatsAuthority } from "@warden/nats-auth";
import { serverBinary } from "./server-binary.ts";
import { freePort, startServer, type ServerHandle, type ServerOptions } from "./server-process.ts";

export interface NatsOptions extends ServerOptions {
  /** HTTP monitoring port (`-m`); off unless given. */
  monitorPort?: number;
  /**
   * Authentication on (operator mode, `full` resolver in the data dir) with this authority's
   * accounts; users are JWTs it signs (`issueUser`). Without it the server accepts anyone.
   */
  auth?: NatsAuthority;
  /** Extra configuration text appended to the generated config file (e.g. cluster settings). */
  extraConfig?: string;
  /** Readiness probe replacing the default (a JetStream round trip), for unusual auth set-ups. */
  probe?: (url: string) => Promise<void>;
}

export interface NatsServer extends ServerHandle {
  readonly url: string;
  /** The config file the server was started with. */
  readonly configFile: string;
}

/** Answers when a client connects and JetStream returns the account info. */
export async function natsAnswers(url: string, authenticator?: Authenticator): Promise<void> {
  const nc = await connect({
    servers: url,
    timeout: 1_000,
    reconnect: false,
    ...(authenticator !== undefined && { authenticator }),
  });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1_000 });
    await jsm.getAccountInfo();
  } finally {
    await nc.close();
  }
}

/** nats-server with JetStream, store in the data dir; with `auth`, authentication on. */
export async function startNats(options: NatsOptions = {}): Promise<NatsServer> {
  const url = (port: number): string => `nats://127.0.0.1:${port}`;
  const { auth } = options;
  const jwts = auth === undefined ? undefined : await accountJwts(auth);
  const probe =
    auth === undefined
      ? undefined
      : credsAuthenticator(
          new TextEncoder().encode((await issueUser(auth, parseIdentity("test-admin"))).creds),
        );
  const configFile = (dataDir: string): string => join(dataDir, "nats-server.conf");
  return startServer(
    "nats-server",
    options,
    ({ port, dataDir }) => {
      const text = [
        auth === undefined || jwts === undefined
          ? ""
          : natsServerAuthConfig(auth, jwts, join(dataDir, "jwt")),
        options.extraConfig ?? "",
      ].join("\n");
      writeFileSync(configFile(dataDir), text);
      return {
        binary: serverBinary("nats"),
        args: [
          "-c",
          configFile(dataDir),
          "-a",
          "127.0.0.1",
          "-p",
          String(port),
          "-js",
          "-sd",
          dataDir,
          ...(options.monitorPort === undefined ? [] : ["-m", String(options.monitorPort)]),
        ],
        ready: () => (options.probe ?? ((u: string) => natsAnswers(u, probe)))(url(port)),
      };
    },
    ({ port, dataDir }) => ({ url: url(port), configFile: configFile(dataDir) }),
  );
}

export interface NatsClusterNode extends ServerHandle {
  readonly url: string;
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
  options: {
    clusterName?: string;
    /**
     * Authentication on every node (operator mode, each node its own `full` resolver dir; pushed
     * account updates replicate between them), as `startNats` does: the harness's authority
     * (`loadNatsAuthority(testServers().natsAuthDir)`) makes `natsCredentials` / `natsCredsFile` work.
     */
    auth?: NatsAuthority;
    /** Extra configuration text for every node's config file (e.g. `jetstream { sync_interval: always }`). */
    extraConfig?: string;
  } = {},
): Promise<NatsCluster> {
  const clusterName = options.clusterName ?? `warden-test-${process.pid}`;
  const { auth } = options;
  const jwts = auth === undefined ? undefined : await accountJwts(auth);
  const probe =
    auth === undefined
      ? undefined
      : credsAuthenticator(
          new TextEncoder().encode((await issueUser(auth, parseIdentity("test-admin"))).creds),
        );
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
        ({ port, dataDir }) => {
          const authArgs: string[] = [];
          if ((auth !== undefined && jwts !== undefined) || options.extraConfig !== undefined) {
            const file = join(dataDir, "nats-server.conf");
            const authText =
              auth !== undefined && jwts !== undefined
                ? natsServerAuthConfig(auth, jwts, join(dataDir, "jwt"))
                : "";
            writeFileSync(file, [authText, options.extraConfig ?? ""].join("\n"));
            authArgs.push("-c", file);
          }
          return {
            binary: serverBinary("nats"),
            args: [
              ...authArgs,
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
            ready: () => natsAnswers(url(port), probe),
          };
        },
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
