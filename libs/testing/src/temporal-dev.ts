import { Connection } from "@temporalio/client";
import { join } from "node:path";
import { serverBinary } from "./server-binary.ts";
import { startServer, type ServerHandle, type ServerOptions } from "./server-process.ts";

/** Search attributes Warden's workflows set; registered when the dev server starts. */
export const wardenSearchAttributes = {
  WardenStatus: "Keyword",
  WardenRisk: "Keyword",
  WardenAgent: "Keyword",
  WardenEnvironment: "Keyword",
  WardenEscalationLevel: "Int",
} as const;

export interface TemporalDevOptions extends ServerOptions {
  /** Serve the Web UI on this port; headless unless given. */
  uiPort?: number;
  /**
   * Keep workflows in the SQLite file `<dataDir>/temporal.sqlite` (default true), so a server
   * started again on the same `dataDir` (and `port`) finds them. False: in memory only, lost when
   * the server stops (a restart test's control).
   */
  persistent?: boolean;
}

/** The SQLite file a persistent dev server keeps its state in. */
export const temporalDbFile = (dataDir: string): string => join(dataDir, "temporal.sqlite");

export interface TemporalDevServer extends ServerHandle {
  /** gRPC frontend, host:port. */
  readonly address: string;
  readonly uiUrl: string | undefined;
}

/** Answers when a client connects and the `default` namespace is described. */
export async function temporalAnswers(address: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: "default" });
  } finally {
    await connection.close();
  }
}

/** Answers when the Web UI serves its page. */
export async function temporalUiAnswers(uiUrl: string): Promise<void> {
  const response = await fetch(uiUrl, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`Temporal UI ${uiUrl} answered ${response.status}`);
}

/** The Temporal CLI development server (SQLite file in the data dir) with Warden's search attributes. */
export async function startTemporalDev(options: TemporalDevOptions = {}): Promise<TemporalDevServer> {
  const address = (port: number): string => `127.0.0.1:${port}`;
  const { uiPort, persistent = true } = options;
  const uiUrl = uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`;
  return startServer(
    "temporal",
    options,
    ({ port, dataDir }) => ({
      binary: serverBinary("temporal"),
      args: [
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        ...(persistent ? ["--db-filename", temporalDbFile(dataDir)] : []),
        "--log-level",
        "warn",
        ...(uiPort === undefined ? ["--headless"] : ["--ui-port", String(uiPort)]),
        ...Object.entries(wardenSearchAttributes).flatMap(([name, type]) => [
          "--search-attribute",
          `${name}=${type}`,
        ]),
      ],
      ready: async () => {
        await temporalAnswers(address(port));
        if (uiUrl !== undefined) await temporalUiAnswers(uiUrl);
      },
    }),
    ({ port }) => ({ address: address(port), uiUrl }),
  );
}
