// ≥ 10k malformed requests over NATS request-reply and gRPC: never an allow, never a crash, each
// answered with an error that names what is wrong. A control shows the same checks pass a valid
// request through to a real decision (so "never allow" is not vacuous).
import { Metadata } from "@grpc/grpc-js";
import * as grpc from "@grpc/grpc-js";
import { commonV1 } from "@warden/contracts";
import { requestRpc, RpcError } from "@warden/messaging";
import type { ActionRequestData, DecisionData } from "@warden/messaging";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_RPC_REQUEST_BYTES } from "../src/transport/nats/evaluate-rpc.ts";
import { startPolicyForTest } from "./support.ts";
import type { PolicyUnderTest } from "./support.ts";

const CASES_PER_TRANSPORT = Number(process.env["POLICY_FUZZ_CASES"] ?? 10_000);
const encoder = new TextEncoder();
let policy: PolicyUnderTest;

beforeAll(async () => {
  policy = await startPolicyForTest();
}, 60_000);
afterAll(async () => {
  await policy?.stop();
});

const valid: ActionRequestData = {
  actionId: "fuzz-1",
  agentId: "release-pipeline",
  action: "change.deploy",
  changeType: "CHANGE_TYPE_CODE",
  environment: "ENVIRONMENT_DEVELOPMENT",
  versionChange: "VERSION_CHANGE_PATCH",
  message: { channel: "slack", external: false, body: "hello" },
  amount: { currencyCode: "USD", units: 10 },
  ai: { model: "m", confidence: 0.5 },
};

const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.object(),
  fc.array(fc.integer()),
);
// An empty string is proto3's "unset": malformed only where a field is required.
const notANonEmptyString = fc.oneof(notAString, fc.constant(""));
const notAnEnum = fc
  .string()
  .filter(
    (s) => !s.startsWith("ENVIRONMENT_") && !s.startsWith("CHANGE_TYPE_") && !s.startsWith("VERSION_CHANGE_"),
  );

/** A request that is certainly invalid, with the field the error must name ("" = the message itself). */
const malformed: fc.Arbitrary<{ body: Uint8Array; field: string }> = fc.oneof(
  fc.constantFrom("actionId", "agentId", "action").map((field) => {
    const copy: Record<string, unknown> = { ...valid };
    delete copy[field];
    return { body: encoder.encode(JSON.stringify(copy)), field };
  }),
  fc.tuple(fc.constantFrom("actionId", "agentId", "action"), notANonEmptyString).map(([field, value]) => ({
    body: encoder.encode(JSON.stringify({ ...valid, [field]: value })),
    field,
  })),
  fc.tuple(fc.constantFrom("tool", "target", "ticket"), notAString).map(([field, value]) => ({
    body: encoder.encode(JSON.stringify({ ...valid, [field]: value })),
    field,
  })),
  fc
    .tuple(fc.constantFrom("environment", "changeType", "versionChange"), notAnEnum)
    .map(([field, value]) => ({
      body: encoder.encode(JSON.stringify({ ...valid, [field]: value })),
      field,
    })),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter(
      (k) =>
        !(k in valid) &&
        ![
          "tool",
          "target",
          "service",
          "arguments",
          "requestedBy",
          "ticket",
          "reason",
          "requestedAt",
          "labels",
        ].includes(k),
    )
    .map((key) => ({
      body: encoder.encode(JSON.stringify({ ...valid, [key]: 1 })),
      field: "",
    })),
  fc
    .oneof(fc.double({ min: 1.0001, max: 1e9 }), fc.double({ min: -1e9, max: -0.0001 }))
    .map((confidence) => ({
      body: encoder.encode(JSON.stringify({ ...valid, ai: { confidence } })),
      field: "ai.confidence",
    })),
  fc
    .string()
    .filter((c) => !/^[A-Z]{3}$/.test(c))
    .map((currencyCode) => ({
      body: encoder.encode(JSON.stringify({ ...valid, amount: { currencyCode, units: 1 } })),
      field: "amount.currencyCode",
    })),
  fc
    .uint8Array({ minLength: 1, maxLength: 256 })
    .filter((bytes) => {
      try {
        const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
        return typeof parsed !== "object" || parsed === null || Array.isArray(parsed);
      } catch {
        return true;
      }
    })
    .map((body) => ({ body, field: "" })),
  fc.constant({ body: new Uint8Array(MAX_RPC_REQUEST_BYTES + 1).fill(0x20), field: "" }),
);

async function inBatches<T>(
  items: readonly T[],
  width: number,
  each: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(each));
}

describe("fuzzed requests", () => {
  it("control: a valid request over NATS gets a real decision", async () => {
    const decision = (await requestRpc(
      policy.nc,
      policy.t.rpc.policyEvaluate("release-pipeline"),
      encoder.encode(JSON.stringify(valid)),
    )) as DecisionData;
    expect(decision.outcome).toBe("OUTCOME_ALLOW");
  });

  it(`NATS request-reply: ${CASES_PER_TRANSPORT} malformed requests, each refused naming the problem`, async () => {
    const cases = fc.sample(malformed, { numRuns: CASES_PER_TRANSPORT, seed: 4242 });
    let refused = 0;
    await inBatches(cases, 64, async ({ body, field }) => {
      const reply = await requestRpc(policy.nc, policy.t.rpc.policyEvaluate("release-pipeline"), body).then(
        (result) => ({ ok: true as const, result }),
        (err: unknown) => ({ ok: false as const, err }),
      );
      if (reply.ok)
        throw new Error(`accepted a malformed request: ${new TextDecoder().decode(body).slice(0, 2000)}`);
      expect(reply.err).toBeInstanceOf(RpcError);
      const err = reply.err as RpcError;
      expect(err.code).toMatch(/^invalid_/);
      expect(err.message.length).toBeGreaterThan(0);
      if (field !== "") expect(err.issues.map((i) => i.field)).toContain(field);
      refused += 1;
    });
    expect(refused).toBe(CASES_PER_TRANSPORT);
  }, 300_000);

  it(`gRPC: ${CASES_PER_TRANSPORT} malformed messages (semantic and raw bytes), each refused, never an allow`, async () => {
    // The token names the agent the control gets an allow for, so a refusal below is the payload's
    // doing, not a missing profile.
    const token = await policy.issuer.issue({ sub: valid.agentId, type: "service" });
    const address = `127.0.0.1:${policy.running.grpcPort}`;
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${token}`);
    const call = (payload: Buffer): Promise<{ code: number; details: string; response?: Buffer }> =>
      new Promise((resolve) => {
        client.makeUnaryRequest(
          "/warden.policy.v1.PolicyService/Evaluate",
          (b: Buffer) => b,
          (b: Buffer) => b,
          payload,
          metadata,
          (err, response) =>
            resolve(err ? { code: err.code, details: err.details } : { code: 0, details: "", response }),
        );
      });
    const { policyV1 } = await import("@warden/contracts");
    const validProto = commonV1.ActionRequest.fromJSON(valid);
    const encodeRequest = (request: commonV1.ActionRequest) =>
      Buffer.from(policyV1.EvaluateRequest.encode({ request }).finish());

    // Control: the same agent and the unmutated payload get an allow over the raw path.
    const control = await call(encodeRequest(validProto));
    expect(control.code).toBe(0);
    expect(policyV1.EvaluateResponse.decode(control.response ?? Buffer.alloc(0)).decision?.outcome).toBe(
      "OUTCOME_ALLOW",
    );

    // One field of the valid message mutated to a value the schema refuses; the error must name it.
    const tooLong = (max: number) => fc.string({ minLength: max + 1, maxLength: max + 64 });
    const anEnumOutOfRange = fc.integer({ min: 4, max: 1000 });
    const semanticMutation: fc.Arbitrary<{ request: commonV1.ActionRequest; field: string }> = fc.oneof(
      fc
        .tuple(fc.constantFrom("actionId", "agentId", "action"), fc.oneof(fc.constant(""), tooLong(128)))
        .map(([field, value]) => ({ request: { ...validProto, [field]: value }, field })),
      // An enum number the proto does not define (proto3 keeps it; the JSON mapping calls it UNRECOGNIZED).
      anEnumOutOfRange.map((value) => ({
        request: { ...validProto, environment: value as unknown as commonV1.ActionRequest["environment"] },
        field: "environment",
      })),
      anEnumOutOfRange.map((value) => ({
        request: { ...validProto, changeType: value as unknown as commonV1.ActionRequest["changeType"] },
        field: "changeType",
      })),
      anEnumOutOfRange.map((value) => ({
        request: {
          ...validProto,
          versionChange: value as unknown as commonV1.ActionRequest["versionChange"],
        },
        field: "versionChange",
      })),
      tooLong(128).map((ticket) => ({ request: { ...validProto, ticket }, field: "ticket" })),
      fc
        .oneof(
          fc.double({ min: 1.0001, max: 1e9, noNaN: true }),
          fc.double({ min: -1e9, max: -0.0001, noNaN: true }),
        )
        .map((confidence) => ({
          request: { ...validProto, ai: commonV1.AiContext.fromPartial({ model: "m", confidence }) },
          field: "ai.confidence",
        })),
      fc
        .string()
        .filter((c) => !/^[A-Z]{3}$/.test(c))
        .map((currencyCode) => ({
          request: { ...validProto, amount: commonV1.Money.fromPartial({ currencyCode, units: 1 }) },
          field: "amount.currencyCode",
        })),
    );
    const semantic = fc.sample(semanticMutation, { numRuns: CASES_PER_TRANSPORT / 2, seed: 7 });
    const raw = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 512 }), {
      numRuns: CASES_PER_TRANSPORT / 2,
      seed: 8,
    });

    let refusedNamingField = 0;
    await inBatches(semantic, 64, async ({ request, field }) => {
      const result = await call(encodeRequest(request));
      expect(result, `mutated ${field}`).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      expect(result.details).toContain(`request.${field}`);
      refusedNamingField += 1;
    });
    expect(refusedNamingField).toBe(CASES_PER_TRANSPORT / 2);

    let rawRefused = 0;
    await inBatches(raw, 64, async (bytes) => {
      const result = await call(Buffer.from(bytes));
      if (result.code === 0) {
        const outcome = policyV1.EvaluateResponse.decode(result.response ?? Buffer.alloc(0)).decision
          ?.outcome;
        throw new Error(
          `random bytes got a decision (${String(outcome)}): ${Buffer.from(bytes).toString("hex")}`,
        );
      }
      expect(result.details.length).toBeGreaterThan(0);
      expect(result.details).not.toMatch(/at .*\.ts:\d+/); // no stack traces leak
      rawRefused += 1;
    });
    client.close();
    expect(rawRefused).toBe(CASES_PER_TRANSPORT / 2);
    // The service is still healthy afterwards.
    expect(policy.running.service.status().digest).toMatch(/^sha256:/);
  }, 300_000);
});
