import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { serverBinary } from "./server-binary.ts";
import { startServer, type ServerHandle, type ServerOptions } from "./server-process.ts";

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
