import { setTimeout as delay } from "node:timers/promises";
import { SpanKind, trace } from "@opentelemetry/api";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { createLogger, createMetricsRegistry, createTestTelemetry } from "@warden/telemetry";
import type { TestTelemetry } from "@warden/telemetry";
import { ClientError, Metadata, Status } from "nice-grpc";
import type { MethodDefinition } from "nice-grpc";
import { HealthDefinition } from "nice-grpc-server-health";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { requireRole } from "./auth-middleware.ts";
import type * as ClientModule from "./create-grpc-client.ts";
import type * as ServerModule from "./create-grpc-server.ts";
import type { GrpcServer, GrpcServerOptions } from "./create-grpc-server.ts";
import { InvalidArgumentError, NotFoundError } from "./errors.ts";
import {
  ECHO_SERVICE_NAME,
  EchoServiceDefinition,
  PING_SERVICE_NAME,
  PingServiceDefinition,
} from "./fixtures/echo-service.ts";
import type { EchoRequest, EchoResponse } from "./fixtures/echo-service.ts";
import { grpcService, publicGrpcService } from "./grpc-service.ts";
import type { GrpcRefusal } from "./refusal-middleware.ts";
import type {
  PublicServiceImplementation,
  WardenCallContext,
  WardenServiceImplementation,
} from "./grpc-service.ts";

const ISSUER = "https://issuer.warden.test";
const AUDIENCE = "warden";
// grpc.health.v1.HealthCheckResponse.ServingStatus
const SERVING = 1;
const NOT_SERVING = 2;

// OpenTelemetry is set up before the modules that load nice-grpc-opentelemetry (its tracer is taken
// at import time), exactly as a service's main.ts does; hence the dynamic imports in beforeAll.
let telemetry: TestTelemetry;
let createGrpcServer: typeof ServerModule.createGrpcServer;
let createGrpcClient: typeof ClientModule.createGrpcClient;
let issuer: DevIssuer;
let otherKeyIssuer: DevIssuer;
let otherNameIssuer: DevIssuer;
const logLines: Record<string, unknown>[] = [];
const rawLog: string[] = [];
const logger = createLogger({
  service: "grpc-test",
  level: "debug",
  destination: {
    write(line: string) {
      rawLog.push(line);
      logLines.push(JSON.parse(line) as Record<string, unknown>);
    },
  },
});

async function waitForAbort(signal: AbortSignal): Promise<never> {
  await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  throw signal.reason;
}

async function answer(request: EchoRequest, context: WardenCallContext): Promise<EchoResponse> {
  context.annotate({ actionId: "act-42" });
  if (request.delayMs !== undefined) await delay(request.delayMs);
  switch (request.fail) {
    case "invalid":
      throw new InvalidArgumentError("request.amount", "must be ≥ 0");
    case "not-found":
      throw new NotFoundError("approval", "ap-1");
    case "internal":
      throw new Error("secret internals: mongodb://admin:hunter2@db");
    case "hang":
      return waitForAbort(context.signal);
    case "needs-auditor":
      requireRole(context, "auditor");
      break;
    case undefined:
      break;
  }
  return {
    message: request.message ?? "",
    principalId: context.principal.id,
    roles: context.principal.roles,
  };
}

const echoImplementation: WardenServiceImplementation<typeof EchoServiceDefinition> = {
  echo: answer,
  adminEcho: answer,
  async *count(request, context) {
    for (let i = 0; i < (request.count ?? 0); i += 1) {
      if (i === 1 && request.fail !== undefined) await answer(request, context);
      yield { message: String(i), principalId: context.principal.id, roles: [] };
    }
  },
};

const pingImplementation: PublicServiceImplementation<typeof PingServiceDefinition> = {
  ping: (request) => Promise.resolve({ message: request.message ?? "pong", principalId: "", roles: [] }),
};

const servers: GrpcServer[] = [];
const closers: (() => void)[] = [];

async function startServer(
  overrides: Partial<GrpcServerOptions> = {},
): Promise<{ server: GrpcServer; address: string }> {
  const server = createGrpcServer({
    logger,
    verifier: issuer.verifier(),
    services: [
      grpcService(EchoServiceDefinition, echoImplementation, { roles: { adminEcho: ["security-lead"] } }),
      publicGrpcService(PingServiceDefinition, pingImplementation),
    ],
    host: "127.0.0.1",
    port: 0,
    ...overrides,
  });
  servers.push(server);
  const { port } = await server.start();
  return { server, address: `127.0.0.1:${port}` };
}

function echoClient(address: string, token?: string, traceContext = true) {
  const handle = createGrpcClient(EchoServiceDefinition, address, {
    ...(token === undefined ? {} : { token }),
    traceContext,
  });
  closers.push(() => handle.close());
  return handle.client;
}

function healthClient(address: string) {
  const handle = createGrpcClient(HealthDefinition, address, { traceContext: false });
  closers.push(() => handle.close());
  return handle.client;
}

async function clientErrorOf(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ClientError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  telemetry = createTestTelemetry("grpc-test");
  ({ createGrpcServer } = await import("./create-grpc-server.ts"));
  ({ createGrpcClient } = await import("./create-grpc-client.ts"));
  issuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  otherKeyIssuer = await createDevIssuer({ issuer: ISSUER, audience: AUDIENCE });
  otherNameIssuer = await createDevIssuer({
    issuer: "https://elsewhere.test",
    audience: AUDIENCE,
    privateKeyPem: issuer.privateKeyPem,
  });
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(servers.splice(0).map((server) => server.shutdown(100)));
});

afterAll(async () => {
  await telemetry.shutdown();
});

describe("authentication", () => {
  it("accepts a good token and hands the principal to the handler", async () => {
    const { address } = await startServer();
    const token = await issuer.issue({ sub: "agent-7", type: "ai_agent", roles: ["requester"] });
    const response = await echoClient(address, token).echo({ message: "hi" });
    expect(response).toEqual({ message: "hi", principalId: "agent-7", roles: ["requester"] });
  });

  it.each([
    ["missing", () => Promise.resolve(undefined), /no bearer token/],
    ["expired", () => issuer.issue({ sub: "alice", expiresIn: "-1m" }), /token expired/],
    [
      "wrong issuer",
      () => otherNameIssuer.issue({ sub: "alice" }),
      /issuer is not the trusted issuer https:\/\/issuer\.warden\.test/,
    ],
    ["wrong key", () => otherKeyIssuer.issue({ sub: "alice" }), /signature does not verify/],
    ["malformed", () => Promise.resolve("not-a-jwt"), /malformed token/],
  ])("rejects a %s token with UNAUTHENTICATED and the reason", async (_name, makeToken, reason) => {
    const { address } = await startServer();
    const error = await clientErrorOf(echoClient(address, await makeToken()).echo({ message: "hi" }));
    expect(error.code).toBe(Status.UNAUTHENTICATED);
    expect(error.details).toMatch(reason);
  });

  it("rejects a valid token without the method's role with PERMISSION_DENIED naming the role", async () => {
    const { address } = await startServer();
    const client = echoClient(address, await issuer.issue({ sub: "bob", roles: ["approver"] }));
    const error = await clientErrorOf(client.adminEcho({}));
    expect(error.code).toBe(Status.PERMISSION_DENIED);
    expect(error.details).toMatch(/lacks the required role: security-lead/);

    const lead = echoClient(address, await issuer.issue({ sub: "carol", roles: ["security-lead"] }));
    await expect(lead.adminEcho({ message: "ok" })).resolves.toMatchObject({ principalId: "carol" });
  });

  it("lets a handler require a role itself", async () => {
    const { address } = await startServer();
    const error = await clientErrorOf(
      echoClient(address, await issuer.issue({ sub: "bob" })).echo({ fail: "needs-auditor" }),
    );
    expect(error.code).toBe(Status.PERMISSION_DENIED);
    expect(error.details).toMatch(/auditor/);
  });

  it("serves public services and health without a token", async () => {
    const { address } = await startServer();
    const ping = createGrpcClient(PingServiceDefinition, address);
    closers.push(() => ping.close());
    await expect(ping.client.ping({ message: "hello" })).resolves.toMatchObject({ message: "hello" });
    await expect(healthClient(address).check({ service: "" })).resolves.toEqual({ status: SERVING });
  });
});

describe("refusals", () => {
  it("tells onRefusal of each refused call, before the caller hears no, and of nothing else", async () => {
    const refusals: GrpcRefusal[] = [];
    const { address } = await startServer({
      onRefusal: async (refusal) => {
        await delay(50); // the answer waits for the record
        refusals.push(refusal);
      },
    });
    const missing = await clientErrorOf(echoClient(address).echo({ message: "hi" }));
    expect(missing.code).toBe(Status.UNAUTHENTICATED);
    expect(refusals).toHaveLength(1); // recorded before the answer arrived

    const bob = await issuer.issue({ sub: "bob", type: "ai_agent", roles: ["approver"] });
    await clientErrorOf(echoClient(address, bob).adminEcho({}));
    await clientErrorOf(echoClient(address, bob).echo({ fail: "needs-auditor" }));
    // A control: an invalid argument and a good call are not refusals.
    await clientErrorOf(echoClient(address, bob).echo({ fail: "invalid" }));
    await echoClient(address, bob).echo({ message: "sentinel" });

    expect(refusals.map((r) => [r.code, r.method.split("/").pop(), r.principal?.id, r.missingRoles])).toEqual(
      [
        ["unauthenticated", "Echo", undefined, []],
        ["permission_denied", "AdminEcho", "bob", ["security-lead"]],
        ["permission_denied", "Echo", "bob", ["auditor"]],
      ],
    );
    expect(refusals[0]?.reason).toMatch(/no bearer token/);
    expect(refusals[1]?.principal).toMatchObject({ type: "ai_agent", roles: ["approver"] });
    expect(refusals[0]?.peer).toMatch(/127\.0\.0\.1/);
  });

  it("answers the refusal even when recording it fails, and logs the failure", async () => {
    const { address } = await startServer({
      onRefusal: () => Promise.reject(new Error("stream unavailable")),
    });
    const error = await clientErrorOf(echoClient(address).echo({ message: "hi" }));
    expect(error.code).toBe(Status.UNAUTHENTICATED);
    expect(logLines.some((l) => l["msg"] === "could not record an access refusal")).toBe(true);
  });
});

describe("error mapping", () => {
  it("maps InvalidArgumentError to INVALID_ARGUMENT naming the field", async () => {
    const { address } = await startServer();
    const error = await clientErrorOf(
      echoClient(address, await issuer.issue({ sub: "a" })).echo({ fail: "invalid" }),
    );
    expect(error.code).toBe(Status.INVALID_ARGUMENT);
    expect(error.details).toBe("request.amount: must be ≥ 0");
  });

  it("maps NotFoundError to NOT_FOUND", async () => {
    const { address } = await startServer();
    const error = await clientErrorOf(
      echoClient(address, await issuer.issue({ sub: "a" })).echo({ fail: "not-found" }),
    );
    expect(error.code).toBe(Status.NOT_FOUND);
    expect(error.details).toBe('approval "ap-1" not found');
  });

  it("turns an unknown error into INTERNAL with an error id and keeps the internals in the log only", async () => {
    const { address } = await startServer();
    const error = await clientErrorOf(
      echoClient(address, await issuer.issue({ sub: "a" })).echo({ fail: "internal" }),
    );
    expect(error.code).toBe(Status.INTERNAL);
    expect(error.details).not.toMatch(/secret internals|hunter2/);
    const errorId = /error id ([0-9a-f-]{36})/.exec(error.details)?.[1];
    expect(errorId).toBeDefined();
    const logged = logLines.find((line) => line.errorId === errorId);
    expect(logged).toMatchObject({ level: "error", method: `/${ECHO_SERVICE_NAME}/Echo`, principalId: "a" });
    expect(JSON.stringify(logged)).toMatch(/secret internals/);
  });

  it("maps errors thrown mid-stream", async () => {
    const { address } = await startServer();
    const client = echoClient(address, await issuer.issue({ sub: "a" }));
    const seen: string[] = [];
    const error = await clientErrorOf(
      (async () => {
        for await (const item of client.count({ count: 3, fail: "invalid" })) seen.push(item.message);
      })(),
    );
    expect(seen).toEqual(["0"]);
    expect(error.code).toBe(Status.INVALID_ARGUMENT);
  });
});

describe("logging", () => {
  it("logs one access line per call with method, status, duration and principal, never the token", async () => {
    const { address } = await startServer();
    const token = await issuer.issue({ sub: "dave", roles: ["requester"] });
    await echoClient(address, token).echo({ message: "x" });
    await clientErrorOf(echoClient(address, token).adminEcho({}));
    const access = logLines.filter((line) => line.msg === "grpc call" && line.principalId === "dave");
    expect(access).toEqual([
      expect.objectContaining({
        method: `/${ECHO_SERVICE_NAME}/Echo`,
        status: "OK",
        actionId: "act-42",
        module: "grpc",
        durationMs: expect.any(Number) as number,
      }),
      expect.objectContaining({ method: `/${ECHO_SERVICE_NAME}/AdminEcho`, status: "PERMISSION_DENIED" }),
    ]);
    expect(rawLog.join("")).not.toContain(token);
  });
});

describe("trace context", () => {
  it("continues the client's trace on the server", async () => {
    const { address } = await startServer();
    const client = echoClient(address, await issuer.issue({ sub: "a" }));
    const tracer = trace.getTracer("grpc-test");
    const traceId = await tracer.startActiveSpan("client-operation", async (span) => {
      await client.echo({ message: "traced" });
      span.end();
      return span.spanContext().traceId;
    });
    const name = `${ECHO_SERVICE_NAME}/Echo`;
    await vi.waitFor(() => {
      expect(telemetry.spansNamed(name).filter((s) => s.spanContext().traceId === traceId)).toHaveLength(2);
    });
    const spans = telemetry.spansNamed(name).filter((s) => s.spanContext().traceId === traceId);
    const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT);
    const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    expect(logLines.some((line) => line.msg === "grpc call" && line.trace_id === traceId)).toBe(true);
  });

  it("continues a W3C traceparent sent as plain metadata", async () => {
    const { address } = await startServer();
    const client = echoClient(address, await issuer.issue({ sub: "a" }), false);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentSpanId = "00f067aa0ba902b7";
    await client.echo({}, { metadata: Metadata({ traceparent: `00-${traceId}-${parentSpanId}-01` }) });
    await vi.waitFor(() => {
      const server = telemetry
        .spansNamed(`${ECHO_SERVICE_NAME}/Echo`)
        .find((s) => s.spanContext().traceId === traceId);
      expect(server?.kind).toBe(SpanKind.SERVER);
      expect(server?.parentSpanContext?.spanId).toBe(parentSpanId);
    });
  });
});

describe("health and shutdown", () => {
  it("reports SERVING per service, NOT_SERVING when told and during shutdown", async () => {
    const { server, address } = await startServer({ drainDelayMs: 300 });
    const health = healthClient(address);
    await expect(health.check({ service: ECHO_SERVICE_NAME })).resolves.toEqual({ status: SERVING });
    await expect(health.check({ service: PING_SERVICE_NAME })).resolves.toEqual({ status: SERVING });

    server.setServing(false, PING_SERVICE_NAME);
    await expect(health.check({ service: PING_SERVICE_NAME })).resolves.toEqual({ status: NOT_SERVING });
    await expect(health.check({ service: "" })).resolves.toEqual({ status: SERVING });

    const stopped = server.shutdown(1000);
    await expect(health.check({ service: "" })).resolves.toEqual({ status: NOT_SERVING });
    await expect(health.check({ service: ECHO_SERVICE_NAME })).resolves.toEqual({ status: NOT_SERVING });
    await stopped;
  });

  it("ends health watchers at shutdown instead of waiting out the grace period", async () => {
    const { server, address } = await startServer();
    const statuses: number[] = [];
    const watching = clientErrorOf(
      (async () => {
        for await (const update of healthClient(address).watch({ service: "" })) statuses.push(update.status);
      })(),
    );
    await vi.waitFor(() => expect(statuses).toEqual([SERVING]));
    const started = Date.now();
    await server.shutdown(5000);
    expect(Date.now() - started).toBeLessThan(2000);
    const error = await watching;
    expect(error.code).toBe(Status.UNAVAILABLE);
    expect(statuses).toEqual([SERVING, NOT_SERVING]);
  });

  it("lets an in-flight call finish during graceful shutdown", async () => {
    const { server, address } = await startServer();
    const client = echoClient(address, await issuer.issue({ sub: "a" }));
    const inFlight = client.echo({ message: "slow", delayMs: 300 });
    await delay(50);
    await server.shutdown(5000);
    await expect(inFlight).resolves.toMatchObject({ message: "slow" });
  });

  it("cancels calls still running when the grace period ends", async () => {
    const { server, address } = await startServer();
    const client = echoClient(address, await issuer.issue({ sub: "a" }));
    const hanging = clientErrorOf(client.echo({ fail: "hang" }));
    await delay(50);
    const started = Date.now();
    await server.shutdown(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect([Status.CANCELLED, Status.UNAVAILABLE]).toContain((await hanging).code);
  });
});

describe("metrics", () => {
  it("counts and times each call by method and the status code the caller got", async () => {
    const registry = createMetricsRegistry({ service: "grpc-test", defaultMetrics: false });
    const { address } = await startServer({ registry });
    const client = echoClient(address, await issuer.issue({ sub: "a" }));
    await client.echo({ message: "hi" });
    await clientErrorOf(client.echo({ fail: "invalid" }));
    await clientErrorOf(echoClient(address).echo({ message: "no token" }));
    const lines = (await registry.metrics()).split("\n");
    const value = (name: string, code: string) =>
      lines
        .find(
          (l) =>
            l.startsWith(`${name}{`) &&
            l.includes('rpc_system="grpc"') &&
            l.includes(`method="/${ECHO_SERVICE_NAME}/Echo"`) &&
            l.includes(`code="${code}"`),
        )
        ?.split(" ")[1];
    expect(value("warden_rpc_requests_total", "OK")).toBe("1");
    expect(value("warden_rpc_requests_total", "INVALID_ARGUMENT")).toBe("1");
    expect(value("warden_rpc_requests_total", "UNAUTHENTICATED")).toBe("1");
    expect(value("warden_rpc_duration_seconds_count", "OK")).toBe("1");
  });
});

describe("reflection", () => {
  it("lists the registered services and serves their file descriptors", async () => {
    const { address } = await startServer({ descriptorSet: echoDescriptorSet() });
    const handle = createGrpcClient(RawReflectionDefinition, address, { traceContext: false });
    closers.push(() => handle.close());
    const requests = [
      field(7, utf8("*")), // list_services
      field(4, utf8(ECHO_SERVICE_NAME)), // file_containing_symbol
    ];
    const responses: string[] = [];
    for await (const response of handle.client.serverReflectionInfo(toAsync(requests))) {
      responses.push(Buffer.from(response).toString("latin1"));
    }
    expect(responses).toHaveLength(2);
    expect(responses[0]).toContain(ECHO_SERVICE_NAME);
    expect(responses[0]).toContain(PING_SERVICE_NAME);
    expect(responses[0]).toContain("grpc.health.v1.Health");
    expect(responses[1]).toContain("warden/test/v1/echo.proto");
  });
});

// --- a hand-encoded FileDescriptorSet and a raw reflection client (no protobuf library needed) ---

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A length-delimited protobuf field. */
function field(fieldNumber: number, payload: Uint8Array): Uint8Array {
  return Buffer.concat([varint((fieldNumber << 3) | 2), varint(payload.length), payload]);
}

function echoDescriptorSet(): Uint8Array {
  const method = (name: string) =>
    field(
      2,
      Buffer.concat([
        field(1, utf8(name)),
        field(2, utf8(".warden.test.v1.EchoRequest")),
        field(3, utf8(".warden.test.v1.EchoResponse")),
      ]),
    );
  const file = Buffer.concat([
    field(1, utf8("warden/test/v1/echo.proto")),
    field(2, utf8("warden.test.v1")),
    field(4, field(1, utf8("EchoRequest"))),
    field(4, field(1, utf8("EchoResponse"))),
    field(
      6,
      Buffer.concat([field(1, utf8("EchoService")), method("Echo"), method("AdminEcho"), method("Count")]),
    ),
    field(12, utf8("proto3")),
  ]);
  return field(1, file);
}

async function* toAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    yield item;
    await delay(10);
  }
}

const bytes = { serialize: (value: Uint8Array) => value, deserialize: (value: Uint8Array) => value };
const RawReflectionDefinition = {
  serverReflectionInfo: {
    path: "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    requestStream: true,
    responseStream: true,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
    options: {},
  } satisfies MethodDefinition<Uint8Array, Uint8Array, Uint8Array, Uint8Array, true, true>,
} as const;
