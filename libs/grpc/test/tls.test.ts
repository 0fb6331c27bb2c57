// gRPC TLS against a real grpc-js server on loopback: TLS, mutual TLS, refusals, the server-name
// override, certificate reload from disk, and the start-up errors naming each config key.
import { X509Certificate } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { ConfigError } from "@warden/config";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { createLogger, createTestTelemetry } from "@warden/telemetry";
import type { TestTelemetry } from "@warden/telemetry";
import { ClientError, Status } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type * as ClientModule from "../src/create-grpc-client.ts";
import type * as ServerModule from "../src/create-grpc-server.ts";
import type { GrpcServer } from "../src/create-grpc-server.ts";
import type { ClientTls, GrpcClientOptions } from "../src/create-grpc-client.ts";
import { generateDevCertificateAuthority, generateDevTls, issueDevCertificate } from "../src/dev-tls.ts";
import type { DevCertificateAuthority, DevTlsFiles, PemPair } from "../src/dev-tls.ts";
import { EchoServiceDefinition } from "../src/fixtures/echo-service.ts";
import { grpcService } from "../src/grpc-service.ts";
import { clientTlsFromFiles, serverTlsFromConfig } from "../src/tls.ts";
import type { ServerTlsConfig } from "../src/tls.ts";

// grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING
const SERVING = 1;
const logLines: Record<string, unknown>[] = [];
const logger = createLogger({
  service: "grpc-tls-test",
  level: "debug",
  destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
});

let telemetry: TestTelemetry;
let createGrpcServer: typeof ServerModule.createGrpcServer;
let createGrpcClient: typeof ClientModule.createGrpcClient;
let issuer: DevIssuer;
let dir: string;
let dev: DevTlsFiles;
let otherCa: DevCertificateAuthority;
let otherCaFile: string;
const servers: GrpcServer[] = [];
const closers: (() => void)[] = [];

beforeAll(async () => {
  telemetry = createTestTelemetry("grpc-tls-test");
  ({ createGrpcServer } = await import("../src/create-grpc-server.ts"));
  ({ createGrpcClient } = await import("../src/create-grpc-client.ts"));
  issuer = await createDevIssuer({ issuer: "https://issuer.warden.test", audience: "warden" });
  dir = await mkdtemp(join(tmpdir(), "warden-grpc-tls-"));
  dev = await generateDevTls(join(dir, "dev"));
  otherCa = await generateDevCertificateAuthority("Some other CA");
  otherCaFile = join(dir, "other-ca.crt");
  await writeFile(otherCaFile, otherCa.certPem);
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(servers.splice(0).map((s) => s.shutdown(5_000)));
});

afterAll(async () => {
  await telemetry.shutdown();
  await rm(dir, { recursive: true, force: true });
});

function tlsConfig(overrides: Partial<ServerTlsConfig> = {}): ServerTlsConfig {
  return {
    GRPC_TLS_CERT_FILE: dev.serverCert,
    GRPC_TLS_KEY_FILE: dev.serverKey,
    GRPC_TLS_RELOAD_INTERVAL: 60_000,
    GRPC_INSECURE: false,
    ...overrides,
  };
}

async function startServer(config: ServerTlsConfig): Promise<{ address: string; port: number }> {
  const server = createGrpcServer({
    logger,
    verifier: issuer.verifier(),
    services: [
      grpcService(EchoServiceDefinition, {
        echo: (request, context) =>
          Promise.resolve({ message: request.message ?? "", principalId: context.principal.id, roles: [] }),
        adminEcho: () => Promise.reject(new Error("unused")),
        // eslint-disable-next-line @typescript-eslint/require-await
        async *count() {
          return;
        },
      }),
    ],
    host: "127.0.0.1",
    port: 0,
    tls: serverTlsFromConfig(config, logger),
  });
  servers.push(server);
  const { port } = await server.start();
  return { address: `127.0.0.1:${port}`, port };
}

async function pem(path: string): Promise<Buffer> {
  return readFile(path);
}

async function clientTls(
  files: { ca?: string; cert?: string; key?: string },
  serverName?: string,
): Promise<ClientTls> {
  return {
    ca: files.ca === undefined ? undefined : await pem(files.ca),
    cert: files.cert === undefined ? undefined : await pem(files.cert),
    key: files.key === undefined ? undefined : await pem(files.key),
    serverName,
  };
}

/** A health check (no token needed) over `tls`; resolves to the status or the ClientError code. */
async function healthCheck(address: string, tls: GrpcClientOptions["tls"]): Promise<"SERVING" | Status> {
  const handle = createGrpcClient(HealthDefinition, address, { traceContext: false, tls });
  closers.push(() => handle.close());
  try {
    const response = await handle.client.check({ service: "" }, { signal: AbortSignal.timeout(30_000) });
    return Number(response.status) === SERVING ? "SERVING" : Status.UNKNOWN;
  } catch (err) {
    if (err instanceof ClientError) return err.code;
    throw err;
  }
}

/** An authenticated echo call over TLS: proves a token-bearing call works end to end. */
async function echo(address: string, tls: ClientTls): Promise<string> {
  const handle = createGrpcClient(EchoServiceDefinition, address, {
    token: await issuer.issue({ sub: "alice", roles: [] }),
    tls,
  });
  closers.push(() => handle.close());
  const response = await handle.client.echo({ message: "over tls" }, { signal: AbortSignal.timeout(30_000) });
  return `${response.principalId}: ${response.message}`;
}

/** The SHA-256 fingerprint of the certificate the server presents to a new TLS connection. */
function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: "127.0.0.1", port, ca, servername: "localhost", ALPNProtocols: ["h2"] },
      () => {
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        socket.end();
        resolve(fingerprint);
      },
    );
    socket.once("error", reject);
  });
}

async function pollUntil<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${String(value)} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Replaces a file the way a Kubernetes secret update does: write aside, then rename over it. */
async function replaceFile(path: string, content: string): Promise<void> {
  await writeFile(`${path}.new`, content, { mode: 0o600 });
  await rename(`${path}.new`, path);
}

function configErrorOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("gRPC over TLS (server certificate only)", () => {
  it("answers a client that trusts the server's CA, health and an authenticated call", async () => {
    const { address } = await startServer(tlsConfig());
    const tls = await clientTls({ ca: dev.caCert });
    expect(await healthCheck(address, tls)).toBe("SERVING");
    expect(await echo(address, tls)).toBe("alice: over tls");
    expect(logLines.some((l) => l.msg === "grpc server listening" && l.tls === "tls")).toBe(true);
  }, 60_000);

  it("refuses a plaintext client, and a client that trusts another CA (control: the right CA works)", async () => {
    const { address } = await startServer(tlsConfig());
    expect(await healthCheck(address, false)).toBe(Status.UNAVAILABLE);
    expect(await healthCheck(address, await clientTls({ ca: otherCaFile }))).toBe(Status.UNAVAILABLE);
    expect(await healthCheck(address, await clientTls({ ca: dev.caCert }))).toBe("SERVING");
  }, 60_000);

  it("checks the server's name: refused when the certificate does not name the host, accepted with the override", async () => {
    const ca = await generateDevCertificateAuthority("Name test CA");
    const server = await issueDevCertificate(ca, {
      commonName: "policy",
      kind: "server",
      hosts: ["policy.warden.svc"],
    });
    const certFile = join(dir, "named.crt");
    const keyFile = join(dir, "named.key");
    const caFile = join(dir, "named-ca.crt");
    await writeFile(certFile, server.certPem);
    await writeFile(keyFile, server.keyPem);
    await writeFile(caFile, ca.certPem);
    const { address } = await startServer(
      tlsConfig({ GRPC_TLS_CERT_FILE: certFile, GRPC_TLS_KEY_FILE: keyFile }),
    );
    expect(await healthCheck(address, await clientTls({ ca: caFile }))).toBe(Status.UNAVAILABLE);
    expect(await healthCheck(address, await clientTls({ ca: caFile }, "policy.warden.svc"))).toBe("SERVING");
  }, 60_000);
});

describe("gRPC over mutual TLS (GRPC_TLS_CLIENT_CA_FILE)", () => {
  it("refuses a client without a certificate and one with another CA's certificate; accepts the right one", async () => {
    const { address } = await startServer(tlsConfig({ GRPC_TLS_CLIENT_CA_FILE: dev.caCert }));
    expect(logLines.some((l) => l.msg === "grpc server listening" && l.tls === "mutual-tls")).toBe(true);

    expect(await healthCheck(address, await clientTls({ ca: dev.caCert }))).toBe(Status.UNAVAILABLE);

    const stranger = await issueDevCertificate(otherCa, { commonName: "stranger", kind: "client" });
    const strangerTls: ClientTls = {
      ca: await pem(dev.caCert),
      cert: Buffer.from(stranger.certPem),
      key: Buffer.from(stranger.keyPem),
    };
    expect(await healthCheck(address, strangerTls)).toBe(Status.UNAVAILABLE);

    const tls = await clientTls({ ca: dev.caCert, cert: dev.clientCert, key: dev.clientKey });
    expect(await healthCheck(address, tls)).toBe("SERVING");
    expect(await echo(address, tls)).toBe("alice: over tls");
  }, 60_000);
});

describe("certificate reload from disk (GRPC_TLS_RELOAD_INTERVAL)", () => {
  it("serves a renewed certificate to new connections, and keeps the last good one over an invalid change or a missing file", async () => {
    const reloadDir = join(dir, "reload");
    await mkdir(reloadDir);
    const ca = await generateDevCertificateAuthority("Reload CA");
    const caPem = Buffer.from(ca.certPem);
    const first = await issueDevCertificate(ca, { commonName: "first", kind: "server" });
    const second = await issueDevCertificate(ca, { commonName: "second", kind: "server" });
    const fingerprint = (pair: PemPair): string => new X509Certificate(pair.certPem).fingerprint256;
    const certFile = join(reloadDir, "tls.crt");
    const keyFile = join(reloadDir, "tls.key");
    await writeFile(certFile, first.certPem);
    await writeFile(keyFile, first.keyPem);
    const { port, address } = await startServer(
      tlsConfig({ GRPC_TLS_CERT_FILE: certFile, GRPC_TLS_KEY_FILE: keyFile, GRPC_TLS_RELOAD_INTERVAL: 100 }),
    );
    expect(await servedFingerprint(port, caPem)).toBe(fingerprint(first));

    // An invalid change (the second certificate with the first one's key): refused, logged, and the
    // first certificate still served. The warning is the sentinel that the change was seen.
    await replaceFile(certFile, second.certPem);
    await pollUntil(
      "the warning about the mismatched key",
      () =>
        Promise.resolve(
          logLines.some((l) => String(l.msg).startsWith("grpc tls files changed but are not valid")),
        ),
      (seen) => seen,
    );
    expect(await servedFingerprint(port, caPem)).toBe(fingerprint(first));

    // Mid-rotation the key file is gone for a while: logged (once), the first certificate still served.
    await rm(keyFile);
    await pollUntil(
      "the warning about the unreadable files",
      () => Promise.resolve(logLines.some((l) => String(l.msg).startsWith("grpc tls files cannot be read"))),
      (seen) => seen,
    );
    expect(await servedFingerprint(port, caPem)).toBe(fingerprint(first));

    // The key arrives: now the pair is valid and is served.
    await replaceFile(keyFile, second.keyPem);
    await pollUntil(
      "the served certificate",
      () => servedFingerprint(port, caPem),
      (f) => f === fingerprint(second),
    );
    expect(logLines.some((l) => l.msg === "grpc tls certificate reloaded")).toBe(true);
    expect(await healthCheck(address, { ca: caPem })).toBe("SERVING");
  }, 90_000);
});

describe("start-up configuration errors name the key", () => {
  it("refuses plaintext unless GRPC_INSECURE=true, and warns when it is", () => {
    expect(
      configErrorOf(() =>
        serverTlsFromConfig({ GRPC_TLS_RELOAD_INTERVAL: 60_000, GRPC_INSECURE: false }, logger),
      ),
    ).toMatch(/GRPC_TLS_CERT_FILE: required — .*GRPC_INSECURE=true/);
    const insecure = serverTlsFromConfig({ GRPC_TLS_RELOAD_INTERVAL: 60_000, GRPC_INSECURE: true }, logger);
    expect(insecure.mode).toBe("insecure");
    expect(logLines.some((l) => l.level === "warn" && String(l.msg).includes("PLAINTEXT"))).toBe(true);
    expect(configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_INSECURE: true }), logger))).toContain(
      "GRPC_INSECURE: invalid (true while GRPC_TLS_* files are set",
    );
  });

  it("names the missing half of the pair", () => {
    expect(
      configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_TLS_KEY_FILE: undefined }), logger)),
    ).toContain("GRPC_TLS_KEY_FILE: required");
    expect(
      configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_TLS_CERT_FILE: undefined }), logger)),
    ).toContain("GRPC_TLS_CERT_FILE: required");
  });

  it("names a missing, unreadable or non-PEM file", async () => {
    const missing = join(dir, "nope.crt");
    expect(
      configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_TLS_CERT_FILE: missing }), logger)),
    ).toContain(`GRPC_TLS_CERT_FILE: invalid (file ${missing} not found)`);
    expect(configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_TLS_KEY_FILE: dir }), logger))).toContain(
      `GRPC_TLS_KEY_FILE: invalid (${dir} is a directory, not a file)`,
    );
    if (process.getuid?.() !== 0) {
      const locked = join(dir, "locked.key");
      await writeFile(locked, await readFile(dev.serverKey));
      await chmod(locked, 0o000);
      expect(
        configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_TLS_KEY_FILE: locked }), logger)),
      ).toContain(`GRPC_TLS_KEY_FILE: invalid (file ${locked} cannot be read (permission denied))`);
    }
    const garbage = join(dir, "garbage.pem");
    await writeFile(garbage, "this is not a certificate\n");
    expect(
      configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_TLS_CERT_FILE: garbage }), logger)),
    ).toContain(`GRPC_TLS_CERT_FILE: invalid (${garbage}: not a PEM certificate`);
    expect(
      configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_TLS_KEY_FILE: garbage }), logger)),
    ).toContain(`GRPC_TLS_KEY_FILE: invalid (${garbage}: not a PEM private key`);
    expect(
      configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_TLS_CLIENT_CA_FILE: garbage }), logger)),
    ).toContain(`GRPC_TLS_CLIENT_CA_FILE: invalid (${garbage}: not a PEM certificate`);
  });

  it("names a key that does not match the certificate, and an expired certificate", async () => {
    expect(
      configErrorOf(() => serverTlsFromConfig(tlsConfig({ GRPC_TLS_KEY_FILE: dev.clientKey }), logger)),
    ).toContain("GRPC_TLS_KEY_FILE: invalid (" + dev.clientKey + ": the key does not match the certificate");
    const ca = await generateDevCertificateAuthority("Expired test CA");
    const old = await issueDevCertificate(ca, {
      commonName: "old",
      kind: "server",
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      validDays: 1,
    });
    const oldCert = join(dir, "old.crt");
    const oldKey = join(dir, "old.key");
    await writeFile(oldCert, old.certPem);
    await writeFile(oldKey, old.keyPem);
    expect(
      configErrorOf(() =>
        serverTlsFromConfig(tlsConfig({ GRPC_TLS_CERT_FILE: oldCert, GRPC_TLS_KEY_FILE: oldKey }), logger),
      ),
    ).toContain("GRPC_TLS_CERT_FILE: invalid (" + oldCert + ": the certificate expired at");
  });

  it("a client's TLS files: errors name the flag that gave each", async () => {
    const garbage = join(dir, "garbage-client.pem");
    await writeFile(garbage, "nope\n");
    const message = configErrorOf(() =>
      clientTlsFromFiles({
        ca: { path: join(dir, "absent.crt"), name: "--tls-ca" },
        cert: { path: dev.clientCert, name: "--tls-cert" },
        key: { path: dev.serverKey, name: "--tls-key" },
      }),
    );
    expect(message).toContain(`--tls-ca: invalid (file ${join(dir, "absent.crt")} not found)`);
    expect(message).toContain(
      "--tls-key: invalid (" + dev.serverKey + ": the key does not match the client certificate)",
    );
    expect(
      configErrorOf(() => clientTlsFromFiles({ cert: { path: dev.clientCert, name: "--tls-cert" } })),
    ).toContain("--tls-cert without a key: required");
    expect(
      configErrorOf(() => clientTlsFromFiles({ ca: { path: garbage, name: "WARDEN_TLS_CA_FILE" } })),
    ).toContain(`WARDEN_TLS_CA_FILE: invalid (${garbage}: not a PEM certificate`);
    const ok = clientTlsFromFiles({
      ca: { path: dev.caCert, name: "--tls-ca" },
      cert: { path: dev.clientCert, name: "--tls-cert" },
      key: { path: dev.clientKey, name: "--tls-key" },
      serverName: "localhost",
    });
    expect(ok.serverName).toBe("localhost");
    expect(ok.ca?.toString()).toContain("BEGIN CERTIFICATE");
  });
});
