// gRPC transport security priced: a new connection's first call (TCP + TLS handshake + HTTP/2 +
// one health Check) and a call on an open connection, for plaintext, TLS and mutual TLS, in the
// same run against three Warden gRPC servers (createGrpcServer, real grpc-js, loopback) in this
// process. The peer is plaintext: ratios are TLS / plaintext and mTLS / plaintext.
// `node test/bench/grpc-tls.bench.ts [handshakes] [calls]`. Prints, asserts nothing.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGrpcClient, createGrpcServer, serverTlsFromConfig } from "@warden/grpc";
import type { ClientTls, GrpcServer } from "@warden/grpc";
import { generateDevTls } from "@warden/grpc/dev-tls";
import { createDevIssuer } from "@warden/identity";
import { createLogger } from "@warden/telemetry";
import { HealthDefinition } from "nice-grpc-server-health";
import { summarize } from "./lib/stats.ts";
import type { Summary } from "./lib/stats.ts";

const HANDSHAKES = Number(process.argv[2] ?? 300);
const CALLS = Number(process.argv[3] ?? 3000);
const logger = createLogger({ service: "grpc-tls-bench", level: "silent" });
const dir = await mkdtemp(join(tmpdir(), "warden-grpc-tls-bench-"));
const servers: GrpcServer[] = [];

try {
  const certs = await generateDevTls(dir);
  const issuer = await createDevIssuer({ issuer: "bench", audience: "warden" });
  const base = { GRPC_TLS_RELOAD_INTERVAL: 60_000, GRPC_INSECURE: false };
  const start = async (tls: ReturnType<typeof serverTlsFromConfig>): Promise<string> => {
    const server = createGrpcServer({
      logger,
      verifier: issuer.verifier(),
      services: [],
      host: "127.0.0.1",
      port: 0,
      tls,
    });
    servers.push(server);
    return `127.0.0.1:${(await server.start()).port}`;
  };
  const ca = await readFile(certs.caCert);
  const modes: { name: string; address: string; tls: ClientTls | false }[] = [
    {
      name: "plaintext",
      address: await start(serverTlsFromConfig({ ...base, GRPC_INSECURE: true }, logger)),
      tls: false,
    },
    {
      name: "tls",
      address: await start(
        serverTlsFromConfig(
          { ...base, GRPC_TLS_CERT_FILE: certs.serverCert, GRPC_TLS_KEY_FILE: certs.serverKey },
          logger,
        ),
      ),
      tls: { ca },
    },
    {
      name: "mtls",
      address: await start(
        serverTlsFromConfig(
          {
            ...base,
            GRPC_TLS_CERT_FILE: certs.serverCert,
            GRPC_TLS_KEY_FILE: certs.serverKey,
            GRPC_TLS_CLIENT_CA_FILE: certs.caCert,
          },
          logger,
        ),
      ),
      tls: { ca, cert: await readFile(certs.clientCert), key: await readFile(certs.clientKey) },
    },
  ];

  const handshake = async (address: string, tls: ClientTls | false): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const c = createGrpcClient(HealthDefinition, address, { traceContext: false, tls });
    await c.client.check({ service: "" });
    const ns = Number(process.hrtime.bigint() - t0);
    c.close();
    return ns;
  };

  const results = new Map<string, { handshake: Summary; call: Summary }>();
  // Interleaved rounds, so load from the rest of the machine falls on every mode alike.
  const hs = new Map(modes.map((m) => [m.name, new Float64Array(HANDSHAKES)]));
  for (const m of modes) for (let i = 0; i < 20; i += 1) await handshake(m.address, m.tls); // warm-up
  for (let i = 0; i < HANDSHAKES; i += 1) {
    for (const m of modes) {
      const samples = hs.get(m.name);
      if (samples !== undefined) samples[i] = await handshake(m.address, m.tls);
    }
  }
  const clients = modes.map((m) => ({
    m,
    c: createGrpcClient(HealthDefinition, m.address, { traceContext: false, tls: m.tls }),
    samples: new Float64Array(CALLS),
  }));
  for (const { c } of clients) for (let i = 0; i < 200; i += 1) await c.client.check({ service: "" });
  for (let i = 0; i < CALLS; i += 1) {
    for (const x of clients) {
      const t0 = process.hrtime.bigint();
      await x.c.client.check({ service: "" });
      x.samples[i] = Number(process.hrtime.bigint() - t0);
    }
  }
  for (const x of clients) {
    x.c.close();
    const h = hs.get(x.m.name);
    if (h !== undefined) results.set(x.m.name, { handshake: summarize(h), call: summarize(x.samples) });
  }

  const us = (ns: number): string => `${(ns / 1000).toFixed(0)} µs`;
  const plain = results.get("plaintext");
  console.log(
    `gRPC transport (loopback, ${HANDSHAKES} new connections, ${CALLS} calls per mode, interleaved)`,
  );
  for (const [name, r] of results) {
    const ratio = (a: number, b: number | undefined): string =>
      b === undefined ? "" : ` (×${(a / b).toFixed(2)})`;
    console.log(
      `  ${name.padEnd(9)} new connection + call p50 ${us(r.handshake.p50Ns)}${ratio(r.handshake.p50Ns, plain?.handshake.p50Ns)}` +
        ` p99 ${us(r.handshake.p99Ns)}${ratio(r.handshake.p99Ns, plain?.handshake.p99Ns)}` +
        ` | call p50 ${us(r.call.p50Ns)}${ratio(r.call.p50Ns, plain?.call.p50Ns)}` +
        ` p99 ${us(r.call.p99Ns)}${ratio(r.call.p99Ns, plain?.call.p99Ns)}`,
    );
  }
} finally {
  await Promise.all(servers.map((s) => s.shutdown(5_000)));
  await rm(dir, { recursive: true, force: true });
}
