import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "./config-error.ts";
import {
  grpcKeys,
  hasTokenKeySource,
  identityKeys,
  namespaceKey,
  natsKeys,
  parseConfig,
  tokenKeySourceIssue,
} from "./index.ts";

const schema = z
  .object({ ...natsKeys, ...namespaceKey, ...grpcKeys(50099), ...identityKeys })
  .refine(hasTokenKeySource, tokenKeySourceIssue);

const base = { NATS_URL: "nats://127.0.0.1:4222", JWT_ISSUER: "https://id.example.com/" };

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("shared key sets", () => {
  it("parse with their defaults, the gRPC port the service's own", () => {
    expect(parseConfig(schema, { ...base, JWKS_URL: "https://id.example.com/jwks" })).toEqual({
      ...base,
      NATS_STREAM_REPLICAS: 1,
      WARDEN_NAMESPACE: "",
      GRPC_HOST: "0.0.0.0",
      GRPC_PORT: 50099,
      GRPC_TLS_RELOAD_INTERVAL: 60_000,
      GRPC_INSECURE: false,
      JWT_AUDIENCE: "warden",
      JWKS_URL: "https://id.example.com/jwks",
    });
  });

  it("take the stream replica count, 1 to 5", () => {
    const ok = { ...base, JWKS_URL: "https://id.example.com/jwks" };
    expect(parseConfig(schema, { ...ok, NATS_STREAM_REPLICAS: "3" }).NATS_STREAM_REPLICAS).toBe(3);
    expect(messageOf(() => parseConfig(schema, { ...ok, NATS_STREAM_REPLICAS: "0" }))).toContain(
      "NATS_STREAM_REPLICAS: invalid",
    );
  });

  it("take the gRPC TLS keys: files, a reload interval of at least 1s, GRPC_INSECURE as a boolean", () => {
    const ok = { ...base, JWKS_URL: "https://id.example.com/jwks" };
    expect(
      parseConfig(schema, {
        ...ok,
        GRPC_TLS_CERT_FILE: "/tls/tls.crt",
        GRPC_TLS_KEY_FILE: "/tls/tls.key",
        GRPC_TLS_CLIENT_CA_FILE: "/tls/ca.crt",
        GRPC_TLS_RELOAD_INTERVAL: "5m",
      }),
    ).toMatchObject({
      GRPC_TLS_CERT_FILE: "/tls/tls.crt",
      GRPC_TLS_KEY_FILE: "/tls/tls.key",
      GRPC_TLS_CLIENT_CA_FILE: "/tls/ca.crt",
      GRPC_TLS_RELOAD_INTERVAL: 300_000,
      GRPC_INSECURE: false,
    });
    expect(parseConfig(schema, { ...ok, GRPC_INSECURE: "true" }).GRPC_INSECURE).toBe(true);
    expect(messageOf(() => parseConfig(schema, { ...ok, GRPC_TLS_RELOAD_INTERVAL: "10ms" }))).toContain(
      "GRPC_TLS_RELOAD_INTERVAL: invalid (below 1s)",
    );
    expect(messageOf(() => parseConfig(schema, { ...ok, GRPC_INSECURE: "yes" }))).toContain(
      "GRPC_INSECURE: invalid (not true or false)",
    );
  });

  it("accept the development key file instead of a JWKS", () => {
    expect(parseConfig(schema, { ...base, JWT_DEV_KEY_FILE: "/tmp/dev.pem" }).JWT_DEV_KEY_FILE).toBe(
      "/tmp/dev.pem",
    );
  });

  it("name JWKS_URL when neither key source is set", () => {
    expect(messageOf(() => parseConfig(schema, base))).toContain(
      "JWKS_URL: required — a http:// or https:// URL",
    );
  });

  it("reject a namespace that cannot prefix a subject", () => {
    expect(
      messageOf(() => parseConfig(schema, { ...base, JWKS_URL: "https://x/", WARDEN_NAMESPACE: "a.b" })),
    ).toContain("WARDEN_NAMESPACE: invalid");
  });
});
