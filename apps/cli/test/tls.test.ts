// The real `warden` binary against a real kill-switch service (its own process) serving gRPC over
// mutual TLS with development certificates: the --tls-* flags and WARDEN_TLS_* env work, a
// plaintext or certificate-less CLI is refused, bad files are usage errors naming the flag, and a
// service without TLS and without GRPC_INSECURE=true does not start.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { generateDevTls } from "@warden/grpc/dev-tls";
import type { DevTlsFiles } from "@warden/grpc/dev-tls";
import { createDevIssuer } from "@warden/identity";
import { connectNats, drainNats, topology } from "@warden/messaging";
import {
  natsCredentials,
  natsCredsFile,
  startServiceProcess,
  testServers,
  uniqueName,
} from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { json, warden } from "./support/run-warden.ts";

const ISSUER = "warden-cli-tls";
const t = topology(uniqueName("clitls").toLowerCase());
let dir = "";
let keyFile = "";
let certs: DevTlsFiles;
let common: Record<string, string> = {};
let ks: ServiceProcess | undefined;
let address = "";

async function token(): Promise<string> {
  const run = await warden([
    "dev",
    "token",
    "--user",
    "ops",
    "--roles",
    "auditor",
    "--key-file",
    keyFile,
    "--issuer",
    ISSUER,
  ]);
  expect(run.code).toBe(0);
  return run.stdout.trim();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-cli-tls-"));
  keyFile = join(dir, "dev-issuer.pem");
  await createDevIssuer({ issuer: ISSUER, audience: "warden", keyFile });
  certs = await generateDevTls(join(dir, "tls"));
  const creds = await natsCredsFile("service:kill-switch", { namespace: t.namespace });
  common = {
    NATS_URL: testServers().natsUrl,
    WARDEN_NAMESPACE: t.namespace,
    JWT_ISSUER: ISSUER,
    JWT_DEV_KEY_FILE: keyFile,
    LOG_LEVEL: "info",
    ...(creds === undefined ? {} : { NATS_CREDS: creds }),
  };
  ks = await startServiceProcess(
    "kill-switch",
    {
      ...common,
      GRPC_INSECURE: "", // unset: the harness's plaintext default does not apply here
      GRPC_TLS_CERT_FILE: certs.serverCert,
      GRPC_TLS_KEY_FILE: certs.serverKey,
      GRPC_TLS_CLIENT_CA_FILE: certs.caCert,
    },
    join(dir, "kill-switch.log"),
  );
  address = `127.0.0.1:${ks.grpcPort}`;
}, 180_000);

afterAll(async () => {
  await ks?.stop();
  const nc = await connectNats({
    servers: testServers().natsUrl,
    name: "cli-tls-cleanup",
    ...(await natsCredentials("test-admin")),
  });
  const jsm = await jetstreamManager(nc);
  for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`]) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
  await drainNats(nc);
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

describe("warden over gRPC mutual TLS (kill-switch service in its own process)", { timeout: 180_000 }, () => {
  test("the service logged that it serves mutual TLS", async () => {
    const log = await readFile(join(dir, "kill-switch.log"), "utf8");
    expect(log).toMatch(/"grpcTls":"mutual-tls"/);
    expect(log).not.toMatch(/PLAINTEXT/);
  });

  test("with --tls-ca, --tls-cert and --tls-key: status and stop status answer (exit 0)", async () => {
    const tls = ["--tls-ca", certs.caCert, "--tls-cert", certs.clientCert, "--tls-key", certs.clientKey];
    const status = await warden([
      "status",
      "--only",
      "killswitch",
      "--json",
      "--killswitch-addr",
      address,
      ...tls,
    ]);
    expect(status.code).toBe(0);
    expect((json(status) as { services: { state: string }[] }).services[0]?.state).toBe("serving");

    const stop = await warden([
      "stop",
      "status",
      "--json",
      "--killswitch-addr",
      address,
      "--token",
      await token(),
      ...tls,
    ]);
    expect(stop.code).toBe(0);
    expect(json(stop)).toHaveProperty("state");
  });

  test("the same through WARDEN_TLS_* and --tls-server-name localhost (exit 0)", async () => {
    const run = await warden(["status", "--only", "killswitch", "--json", "--tls-server-name", "localhost"], {
      WARDEN_KILLSWITCH_ADDR: address,
      WARDEN_TLS_CA_FILE: certs.caCert,
      WARDEN_TLS_CERT_FILE: certs.clientCert,
      WARDEN_TLS_KEY_FILE: certs.clientKey,
    });
    expect(run.code).toBe(0);
  });

  test("refused in plaintext and without a client certificate: unreachable, exit 3", async () => {
    const plaintext = await warden([
      "status",
      "--only",
      "killswitch",
      "--json",
      "--killswitch-addr",
      address,
    ]);
    expect(plaintext.code).toBe(3);
    expect((json(plaintext) as { services: { state: string }[] }).services[0]?.state).toBe("unreachable");
    const noCert = await warden([
      "status",
      "--only",
      "killswitch",
      "--json",
      "--killswitch-addr",
      address,
      "--tls-ca",
      certs.caCert,
    ]);
    expect(noCert.code).toBe(3);
    expect((json(noCert) as { services: { state: string }[] }).services[0]?.state).toBe("unreachable");
  });

  test("a missing CA file or a key without a certificate: usage error naming the flag, exit 2", async () => {
    const missing = join(dir, "absent.crt");
    const run = await warden([
      "status",
      "--only",
      "killswitch",
      "--killswitch-addr",
      address,
      "--tls-ca",
      missing,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--tls-ca: file ${missing} not found`);
    const keyOnly = await warden([
      "status",
      "--only",
      "killswitch",
      "--killswitch-addr",
      address,
      "--tls-key",
      certs.clientKey,
    ]);
    expect(keyOnly.code).toBe(2);
    expect(keyOnly.stderr).toContain("--tls-key without a certificate: required");
  });

  test("a service with neither TLS files nor GRPC_INSECURE=true does not start, naming GRPC_TLS_CERT_FILE", async () => {
    const log = join(dir, "refused.log");
    await expect(startServiceProcess("kill-switch", { ...common, GRPC_INSECURE: "" }, log)).rejects.toThrow(
      /exited before it was ready/,
    );
    expect(await readFile(log, "utf8")).toMatch(/GRPC_TLS_CERT_FILE: required/);
  });
});
