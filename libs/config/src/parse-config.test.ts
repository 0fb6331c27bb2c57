import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "./config-error.ts";
import { bool, duration, fromEnv, list, logLevel, natsUrl, parseConfig, port, serviceKeys } from "./index.ts";

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const schema = z.object({
  NATS_URL: natsUrl(),
  OPS_PORT: port().default(9464),
  LOG_LEVEL: logLevel().default("info"),
  TIMEOUT: duration(),
  DEBUG: bool().optional(),
  ROLES: list().default([]),
});

describe("parseConfig with env-keyed schema", () => {
  it("parses a valid environment and applies defaults", () => {
    const config = parseConfig(schema, {
      NATS_URL: "nats://127.0.0.1:4222",
      TIMEOUT: "30s",
      ROLES: "a, b,,c",
    });
    expect(config).toEqual({
      NATS_URL: "nats://127.0.0.1:4222",
      OPS_PORT: 9464,
      LOG_LEVEL: "info",
      TIMEOUT: 30_000,
      ROLES: ["a", "b", "c"],
    });
  });

  it("lists every missing key with its expected form", () => {
    const err = configErrorOf(() => parseConfig(schema, {}));
    expect(err.issues.map((issue) => issue.key)).toEqual(["NATS_URL", "TIMEOUT"]);
    expect(err.message).toContain("NATS_URL: required — a nats:// URL, e.g. nats://127.0.0.1:4222");
    expect(err.message).toContain(
      "TIMEOUT: required — a duration with unit ms, s, m, h or d, e.g. 30s or 5m",
    );
    expect(err.message).toMatch(/^invalid configuration \(2 problems\):/);
  });

  it("lists missing and invalid keys together", () => {
    const err = configErrorOf(() =>
      parseConfig(schema, { NATS_URL: "http://x", OPS_PORT: "70000", LOG_LEVEL: "loud", DEBUG: "yes" }),
    );
    const byKey = Object.fromEntries(err.issues.map((issue) => [issue.key, issue]));
    expect(Object.keys(byKey).sort()).toEqual(["DEBUG", "LOG_LEVEL", "NATS_URL", "OPS_PORT", "TIMEOUT"]);
    expect(byKey["TIMEOUT"]?.problem).toBe("missing");
    expect(byKey["NATS_URL"]?.problem).toBe("invalid");
    expect(err.message).toContain(
      "NATS_URL: invalid (not a nats://, tls://, ws:// or wss:// URL) — a nats:// URL",
    );
    expect(err.message).toContain("OPS_PORT: invalid (above 65535) — a TCP port number 0-65535, e.g. 8080");
    expect(err.message).toContain("LOG_LEVEL: invalid (");
    expect(err.message).toContain("— one of fatal, error, warn, info, debug, trace, silent, e.g. info");
    expect(err.message).toContain("DEBUG: invalid (not true or false) — true or false");
  });

  it("treats an empty or blank value as missing", () => {
    const err = configErrorOf(() => parseConfig(schema, { NATS_URL: "  ", TIMEOUT: "" }));
    expect(err.issues.map((issue) => [issue.key, issue.problem])).toEqual([
      ["NATS_URL", "missing"],
      ["TIMEOUT", "missing"],
    ]);
  });

  it("never prints the rejected value", () => {
    const err = configErrorOf(() =>
      parseConfig(z.object({ API_TOKEN: z.string().regex(/^tok_/).describe("a token starting tok_") }), {
        API_TOKEN: "hunter2-super-secret",
      }),
    );
    expect(err.message).toContain("API_TOKEN: invalid (");
    expect(err.message).not.toContain("hunter2");
  });

  it("prints the bare problem for a key without a description", () => {
    const err = configErrorOf(() => parseConfig(z.object({ PLAIN: z.string() }), {}));
    expect(err.message).toContain("  PLAIN: required\n".trimEnd());
    expect(err.issues[0]).toEqual({ key: "PLAIN", problem: "missing" });
  });

  it("reports object-level refinements under (config)", () => {
    const refined = z
      .object({ A: z.string().optional(), B: z.string().optional() })
      .refine((value) => value.A !== undefined || value.B !== undefined, "set A or B");
    const err = configErrorOf(() => parseConfig(refined, {}));
    expect(err.message).toContain("(config): invalid (set A or B)");
  });

  it("ignores unrelated environment variables", () => {
    const config = parseConfig(z.object({ A: z.string() }), { A: "x", PATH: "/bin" });
    expect(config).toEqual({ A: "x" });
  });

  it("accepts the shared service keys with their defaults", () => {
    const config = parseConfig(z.object(serviceKeys), {});
    expect(config).toEqual({
      LOG_LEVEL: "info",
      OPS_HOST: "0.0.0.0",
      OPS_PORT: 9464,
      OTEL_TRACES_EXPORTER: "none",
    });
    const err = configErrorOf(() =>
      parseConfig(z.object(serviceKeys), { OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://x" }),
    );
    expect(err.message).toContain("OTEL_EXPORTER_OTLP_ENDPOINT: invalid (not a http:// or https:// URL)");
  });
});

describe("parseConfig with a mapping", () => {
  const mapping = {
    natsUrl: fromEnv("NATS_URL", natsUrl()),
    opsPort: fromEnv("OPS_PORT", port().default(0)),
  };

  it("returns the mapping's field names", () => {
    expect(parseConfig(mapping, { NATS_URL: "tls://nats.example:4222" })).toEqual({
      natsUrl: "tls://nats.example:4222",
      opsPort: 0,
    });
  });

  it("reports problems under the environment variable names", () => {
    const err = configErrorOf(() => parseConfig(mapping, { OPS_PORT: "http" }));
    expect(err.issues.map((issue) => issue.key)).toEqual(["NATS_URL", "OPS_PORT"]);
    expect(err.message).toContain("NATS_URL: required — a nats:// URL, e.g. nats://127.0.0.1:4222");
    expect(err.message).toContain(
      "OPS_PORT: invalid (not a whole number) — a TCP port number 0-65535, e.g. 8080",
    );
  });
});
