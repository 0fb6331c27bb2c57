import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@warden/config";
import { generateDevTls } from "@warden/grpc/dev-tls";
import type { DevTlsFiles } from "@warden/grpc/dev-tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendTls } from "./backends.ts";
import { loadConfig } from "./config.ts";

let dir = "";
let certs: DevTlsFiles;
const base = { JWT_ISSUER: "warden-dev", JWT_DEV_KEY_FILE: "/tmp/dev.pem" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "console-tls-"));
  certs = await generateDevTls(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the console's gRPC TLS (WARDEN_TLS_*)", () => {
  it("is plaintext by default and TLS with the system's CAs with WARDEN_TLS=true", () => {
    expect(backendTls(loadConfig(base))).toBe(false);
    expect(backendTls(loadConfig({ ...base, WARDEN_TLS: "true" }))).toEqual({
      ca: undefined,
      cert: undefined,
      key: undefined,
      serverName: undefined,
    });
  });

  it("reads the CA, client certificate and key; a server name override", () => {
    const tls = backendTls(
      loadConfig({
        ...base,
        WARDEN_TLS_CA_FILE: certs.caCert,
        WARDEN_TLS_CERT_FILE: certs.clientCert,
        WARDEN_TLS_KEY_FILE: certs.clientKey,
        WARDEN_TLS_SERVER_NAME: "warden.internal",
      }),
    );
    expect(typeof tls === "object" && tls.ca?.toString()).toContain("BEGIN CERTIFICATE");
    expect(typeof tls === "object" && tls.serverName).toBe("warden.internal");
  });

  it("names the key of a missing file or a key that does not match the certificate", () => {
    const missing = join(dir, "absent.crt");
    const error = (() => {
      try {
        backendTls(
          loadConfig({
            ...base,
            WARDEN_TLS_CA_FILE: missing,
            WARDEN_TLS_CERT_FILE: certs.clientCert,
            WARDEN_TLS_KEY_FILE: certs.serverKey,
          }),
        );
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(
      `WARDEN_TLS_CA_FILE: invalid (file ${missing} not found)`,
    );
    expect((error as ConfigError).message).toContain("WARDEN_TLS_KEY_FILE: invalid (");
  });
});
