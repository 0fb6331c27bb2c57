import { MongoClient } from "mongodb";
import { serverBinary } from "./server-binary.ts";
import { startServer, type ServerHandle, type ServerOptions } from "./server-process.ts";

export interface MongoServer extends ServerHandle {
  readonly url: string;
}

/** Answers when the official driver's `ping` succeeds. */
export async function mongoAnswers(url: string): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
  try {
    await client.db("admin").command({ ping: 1 });
  } finally {
    await client.close();
  }
}

/** FerretDB (Mongo wire protocol) on its SQLite backend; no telemetry, no debug HTTP listener. */
export async function startMongo(options: ServerOptions = {}): Promise<MongoServer> {
  const url = (port: number): string => `mongodb://127.0.0.1:${port}/`;
  return startServer(
    "ferretdb",
    options,
    ({ port, dataDir }) => ({
      binary: serverBinary("ferretdb"),
      args: [
        "--handler=sqlite",
        `--sqlite-url=file:${dataDir}/`,
        `--state-dir=${dataDir}`,
        `--listen-addr=127.0.0.1:${port}`,
        "--debug-addr=-",
        "--telemetry=disable",
        "--log-level=warn",
      ],
      ready: () => mongoAnswers(url(port)),
    }),
    ({ port }) => ({ url: url(port) }),
  );
}
