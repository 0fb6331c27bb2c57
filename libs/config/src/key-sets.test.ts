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
