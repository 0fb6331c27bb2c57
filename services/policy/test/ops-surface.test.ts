// The policy service's ops surface, against the real service: /metrics passes `promtool check
// metrics` and carries the per-RPC, decision, bundle and kill-switch families; gRPC reflection
// resolves the health service (grpcurl's `grpc.health.v1.Health/Check` needs exactly that).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Client, credentials } from "@grpc/grpc-js";
import { events, requestRpc } from "@warden/messaging";
import type { ActionRequestData } from "@warden/messaging";
import { runPromtool } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestTelemetry } from "@warden/telemetry";
import type { TestTelemetry } from "@warden/telemetry";
import { startPolicyForTest } from "./support.ts";
import type { PolicyUnderTest } from "./support.ts";

let telemetry: TestTelemetry;
let policy: PolicyUnderTest;

beforeAll(async () => {
  telemetry = createTestTelemetry("policy-ops-test");
  policy = await startPolicyForTest();
}, 60_000);

afterAll(async () => {
  await policy?.stop();
  await telemetry.shutdown().catch(() => undefined);
});

const request = (actionId: string): ActionRequestData => ({
  actionId,
  agentId: "release-pipeline",
  action: "change.deploy",
  changeType: "CHANGE_TYPE_CODE",
  environment: "ENVIRONMENT_DEVELOPMENT",
  versionChange: "VERSION_CHANGE_PATCH",
});

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${policy.running.opsPort}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample line `name{labels} value` whose labels include every given pair. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return undefined;
}

describe("/metrics", () => {
  it("counts and times RPCs by method and code, decisions end to end, and passes promtool check metrics", async () => {
    const { nc, t, issuer, running } = policy;
    const encode = (body: unknown) => new TextEncoder().encode(JSON.stringify(body));
    // One good and one invalid NATS RPC, one decision through the stream, one gRPC Evaluate.
    await requestRpc(nc, t.rpc.policyEvaluate("release-pipeline"), encode(request(`ops-rpc-${Date.now()}`)));
    await expect(
      requestRpc(nc, t.rpc.policyEvaluate("release-pipeline"), encode({ agentId: 7 })),
    ).rejects.toMatchObject({ code: "invalid_schema" });
    const { createPublisher } = await import("@warden/messaging");
    const actionId = `ops-stream-${Date.now()}`;
    await createPublisher(nc, { source: "ops-test" }).publish(
      t.subjects.actionRequested("release-pipeline"),
      events.actionRequested,
      { actionId, data: request(actionId) },
    );
    const { createGrpcClient } = await import("@warden/grpc");
    const { commonV1, policyV1 } = await import("@warden/contracts");
    const token = await issuer.issue({ sub: "release-pipeline", type: "service", roles: ["pipeline"] });
    const c = createGrpcClient(policyV1.PolicyServiceDefinition, `127.0.0.1:${running.grpcPort}`, { token });
    try {
      await c.client.evaluate({
        request: commonV1.ActionRequest.fromJSON(request(`ops-grpc-${Date.now()}`)),
      });
    } finally {
      c.close();
    }

    await expect
      .poll(async () => sample(await scrape(), "warden_policy_decision_seconds_count", { path: "nats" }), {
        timeout: 10_000,
        interval: 50,
      })
      .toBe(1);
    const text = await scrape();
    const rpc = "warden_rpc_requests_total";
    expect(
      sample(text, rpc, {
        rpc_system: "grpc",
        method: "/warden.policy.v1.PolicyService/Evaluate",
        code: "OK",
      }),
    ).toBe(1);
    expect(sample(text, rpc, { rpc_system: "nats", method: t.rpc.policyEvaluateAll, code: "OK" })).toBe(1);
    expect(sample(text, rpc, { rpc_system: "nats", code: "invalid_schema" })).toBe(1);
    expect(
      sample(text, "warden_rpc_duration_seconds_count", {
        rpc_system: "grpc",
        method: "/warden.policy.v1.PolicyService/Evaluate",
      }),
    ).toBe(1);
    expect(sample(text, "warden_policy_decision_seconds_count", { path: "rpc" })).toBe(1);
    expect(sample(text, "warden_policy_invalid_messages_total", { path: "rpc", reason: "schema" })).toBe(1);
    expect(sample(text, "warden_policy_bundle_info", { digest: running.service.status().digest })).toBe(1);
    expect(sample(text, "warden_killswitch_state", { state: "clear" })).toBe(1);
    expect(sample(text, "warden_killswitch_state", { state: "unknown" })).toBe(0);
    expect(sample(text, "warden_killswitch_confirmation_age_seconds", {})).toBeLessThan(5);
    expect(sample(text, "warden_killswitch_lease_seconds", {})).toBe(5);

    const lint = await runPromtool(["check", "metrics"], text);
    expect(lint.stdout + lint.stderr).toBe("");
    expect(lint.code).toBe(0);
  });

  it("counts an invalid request from the stream and a rejected bundle reload", async () => {
    const { nc, t, bundleDir } = policy;
    // Not an action request at all: terminated and reported as warden.invalid.schema.
    nc.publish(t.subjects.actionRequested("release-pipeline"), new TextEncoder().encode("{not json"));
    await expect
      .poll(async () => sample(await scrape(), "warden_policy_invalid_messages_total", { path: "nats" }), {
        timeout: 10_000,
        interval: 50,
      })
      .toBe(1);

    await writeFile(join(bundleDir, "broken.yaml"), "rules: [ {\n");
    policy.running.reload();
    await expect
      .poll(
        async () => sample(await scrape(), "warden_policy_bundle_reloads_total", { result: "rejected" }),
        {
          timeout: 10_000,
          interval: 50,
        },
      )
      .toBe(1);
  });
});

describe("gRPC reflection", () => {
  it("resolves grpc.health.v1.Health to its file descriptor", async () => {
    const responses = await reflect(
      `127.0.0.1:${policy.running.grpcPort}`,
      field(4, utf8("grpc.health.v1.Health")),
    );
    expect(responses).toHaveLength(1);
    const fields = fieldsOf(responses[0] ?? new Uint8Array());
    // 7 = error_response ("Symbol not found"); 4 = file_descriptor_response.
    expect(fields.map(([n]) => n)).not.toContain(7);
    const descriptorResponse = fields.find(([n]) => n === 4)?.[1];
    expect(descriptorResponse).toBeDefined();
    const files = fieldsOf(descriptorResponse ?? new Uint8Array()).filter(([n]) => n === 1);
    const text = files.map(([, bytes]) => Buffer.from(bytes).toString("latin1")).join("\n");
    expect(text).toContain("grpc/health/v1/health.proto");
    expect(text).toContain("HealthCheckRequest");
    expect(text).toContain("Check");
    expect(text).toContain("Watch");
  });
});

// --- a raw reflection client: requests encoded and responses walked by hand (no protobuf library) ---

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

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

function field(fieldNumber: number, payload: Uint8Array): Uint8Array {
  return Buffer.concat([varint((fieldNumber << 3) | 2), varint(payload.length), payload]);
}

/** The length-delimited fields of a message, in order (other wire types are skipped). */
function fieldsOf(bytes: Uint8Array): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  let at = 0;
  const readVarint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at] ?? 0;
      at += 1;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const tag = readVarint();
    const wireType = tag & 7;
    if (wireType === 0) readVarint();
    else if (wireType === 2) {
      const length = readVarint();
      out.push([tag >>> 3, bytes.subarray(at, at + length)]);
      at += length;
    } else throw new Error(`unexpected wire type ${wireType}`);
  }
  return out;
}

/** One ServerReflectionInfo exchange over grpc-js with raw bytes: one request, every response. */
async function reflect(address: string, request: Uint8Array): Promise<Uint8Array[]> {
  const client = new Client(address, credentials.createInsecure());
  try {
    const call = client.makeBidiStreamRequest(
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      (value: Uint8Array) => Buffer.from(value),
      (value: Buffer) => new Uint8Array(value),
    );
    const responses: Uint8Array[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      call.on("data", (response: Uint8Array) => responses.push(response));
      call.on("error", reject);
      call.on("end", () => resolve());
    });
    call.write(request);
    call.end();
    await ended;
    return responses;
  } finally {
    client.close();
  }
}
