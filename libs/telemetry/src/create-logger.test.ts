import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childLogger, createLogger, redactPathsFor } from "./create-logger.ts";
import type { LoggerOptions } from "./create-logger.ts";
import { createTestTelemetry } from "./init-telemetry.ts";
import type { TestTelemetry } from "./init-telemetry.ts";
import { withSpan } from "./trace-context.ts";

function capture(options: Omit<LoggerOptions, "service" | "destination"> = {}) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  const log = createLogger({ service: "svc", level: "debug", destination, ...options });
  return {
    log,
    text: () => chunks.join(""),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("createLogger", () => {
  it("writes JSON with service, level label and message", () => {
    const out = capture();
    out.log.info({ actionId: "a1" }, "hello");
    const [line] = out.lines();
    expect(line).toMatchObject({ service: "svc", level: "info", msg: "hello", actionId: "a1" });
    expect(typeof line?.["time"]).toBe("string");
  });

  it("never writes tokens, passwords, secrets, keys or authorization headers", () => {
    const out = capture();
    out.log.info(
      {
        token: "tok-TOP",
        user: { password: "pw-NESTED", name: "alice" },
        req: {
          headers: { authorization: "Bearer tok-HEADER", "x-api-key": "key-HEADER", cookie: "c-COOKIE" },
        },
        client: { apiKey: "key-APIKEY", clientSecret: "sec-CLIENT" },
        deep: { a: { b: { accessToken: "tok-DEEP" } } },
        list: [{ secret: "sec-LIST" }],
        metadata: { Authorization: "Bearer tok-META" },
      },
      "request",
    );
    out.log.child({ privateKey: "pk-CHILD" }).warn("child");
    const text = out.text();
    for (const leaked of ["tok-", "pw-", "key-", "sec-", "c-COOKIE", "pk-CHILD"]) {
      expect(text).not.toContain(leaked);
    }
    const [first] = out.lines();
    expect(first).toMatchObject({ token: "[redacted]", user: { password: "[redacted]", name: "alice" } });
    expect(text).toContain("alice");
  });

  it("redacts message bodies only when configured, plus extra paths", () => {
    const plain = capture();
    plain.log.info({ event: { data: { amount: 5 } } }, "event");
    expect(plain.text()).toContain('"amount":5');

    const redacting = capture({ redactBodies: true, redact: ["user.ssn"] });
    redacting.log.info({ event: { data: { amount: 5 } }, body: "raw", user: { ssn: "123-45" } }, "event");
    expect(redacting.text()).not.toContain("amount");
    expect(redacting.text()).not.toContain("raw");
    expect(redacting.text()).not.toContain("123-45");
  });

  it("serializes { err } with type, message, stack and cause", () => {
    const out = capture();
    const err = new Error("outer", { cause: new TypeError("inner") });
    out.log.error({ err }, "failed");
    const [line] = out.lines();
    const serialized = line?.["err"] as Record<string, unknown>;
    expect(serialized["type"]).toBe("Error");
    expect(serialized["message"]).toBe("outer");
    expect(String(serialized["stack"])).toContain("outer");
    expect(serialized["cause"]).toMatchObject({ type: "TypeError", message: "inner" });
  });

  it("serializes an error whose own fields hold a cyclic class instance: message and stack kept", () => {
    // Like the MongoDB driver's MongoServerSelectionError, whose `reason` is a TopologyDescription.
    class Topology {
      readonly servers = new Map<string, unknown>();
      readonly parent: { topology?: Topology } = {};
      constructor() {
        this.parent.topology = this;
        this.servers.set("127.0.0.1:1", { topology: this, list: Array.from({ length: 50 }, () => this) });
      }
    }
    const err = Object.assign(new Error("Server selection timed out"), {
      reason: new Topology(),
      code: 14,
      labels: ["a", "b"],
      at: new Date(0),
      errors: [new RangeError("first attempt")],
    });
    const out = capture();
    out.log.warn({ err }, "store unavailable");
    const logged = out.lines()[0]?.["err"] as Record<string, unknown> | undefined;
    expect(String(logged?.["stack"])).toContain("Server selection timed out");
    expect(logged).toMatchObject({
      type: "Error",
      message: "Server selection timed out",
      reason: "[Topology]",
      code: 14,
      labels: ["a", "b"],
      at: "1970-01-01T00:00:00.000Z",
      errors: [{ type: "RangeError", message: "first attempt" }],
    });

    // The real case, with the driver's error and a control: services/audit/src/adapters/mongo/logged-errors.test.ts
  });

  it("child loggers carry the module name", () => {
    const out = capture();
    childLogger(out.log, "nats", { stream: "WARDEN_EVENTS" }).debug("connected");
    expect(out.lines()[0]).toMatchObject({ module: "nats", stream: "WARDEN_EVENTS", service: "svc" });
  });

  it("honours the level", () => {
    const out = capture({ level: "warn" });
    out.log.info("quiet");
    out.log.warn("loud");
    expect(out.lines().map((line) => line["msg"])).toEqual(["loud"]);
  });

  it("builds paths for keys that need brackets", () => {
    expect(redactPathsFor(["x-api-key"])).toEqual([
      '["x-api-key"]',
      '*["x-api-key"]',
      '*.*["x-api-key"]',
      '*.*.*["x-api-key"]',
    ]);
    expect(redactPathsFor(["token"])).toEqual(["token", "*.token", "*.*.token", "*.*.*.token"]);
  });
});

describe("createLogger inside a span", () => {
  let telemetry: TestTelemetry;
  beforeAll(() => {
    telemetry = createTestTelemetry("logger-test");
  });
  afterAll(async () => {
    await telemetry.shutdown();
  });

  it("adds trace_id and span_id of the active span", async () => {
    const out = capture();
    const ids = await withSpan("work", (span) => {
      out.log.info("inside");
      return span.spanContext();
    });
    out.log.info("outside");
    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(outside?.["trace_id"]).toBeUndefined();
  });
});
