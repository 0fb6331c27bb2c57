import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import type { Authenticator } from "@nats-io/transport-node";
import { accountJwts, issueUser, natsServerAuthConfig, parseIdentity } from "@warden/nats-auth";
import type { NatsAuthority } from "@warden/nats-auth";
import { serverBinary } from "./server-binary.ts";
import { startServer, type ServerHandle, type ServerOptions } from "./server-process.ts";

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
