// A store outage must stay readable in the logs: the MongoDB driver's errors carry its topology
// description, which pino's own error serializer together with redaction turns into
// "[unable to serialize, circular reference is too complex to analyze]" — message and stack lost.
// No server is needed: the error is the driver's answer for a port nobody listens on.
import { Writable } from "node:stream";
import { createLogger, redactPathsFor, sensitiveKeys } from "@warden/telemetry";
import { MongoClient } from "mongodb";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";

let client: MongoClient;
let err: unknown;

beforeAll(async () => {
  client = new MongoClient("mongodb://127.0.0.1:1/", { serverSelectionTimeoutMS: 100 });
  err = await client
    .db("x")
    .collection("y")
    .insertOne({ a: 1 })
    .catch((e: unknown) => e);
});

afterAll(async () => {
  await client.close();
});

function sink(): { stream: Writable; line: () => Record<string, unknown> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  return { stream, line: () => JSON.parse(chunks.join("")) as Record<string, unknown> };
}

it("logs the driver's server-selection error with its type, message and stack", () => {
  const out = sink();
  createLogger({ service: "audit", destination: out.stream }).warn({ err }, "store unavailable");
  const logged = out.line()["err"] as Record<string, unknown>;
  expect(logged).toMatchObject({ type: "MongoServerSelectionError", reason: "[TopologyDescription]" });
  expect(String(logged["message"])).toContain("ECONNREFUSED");
  expect(String(logged["stack"])).toContain("MongoServerSelectionError");
});

it("CONTROL: pino's own error serializer, with the same redaction, loses the whole error", () => {
  const out = sink();
  const plain = pino(
    {
      serializers: { err: pino.stdSerializers.errWithCause },
      redact: { paths: redactPathsFor(sensitiveKeys), censor: "[redacted]" },
    },
    out.stream,
  );
  plain.warn({ err }, "store unavailable");
  expect(out.line()["err"]).toMatch(/unable to serialize/);
});
