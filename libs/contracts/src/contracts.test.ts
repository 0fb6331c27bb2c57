import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { commonV1, policyV1, readDescriptorSet, wardenServiceNames } from "./index.ts";

// The proto JSON mapping is the wire format of every Warden event on NATS (DESIGN.md §3):
// camelCase field names, enum values as their full names, timestamps as RFC 3339 strings.

const request: commonV1.ActionRequest = commonV1.ActionRequest.fromPartial({
  actionId: "01J9ZQ6K3W8Y2T5N4R7M1B0C9D",
  agentId: "financial-advisor",
  action: "transaction.execute",
  tool: "payments.transfer",
  changeType: commonV1.ChangeType.CHANGE_TYPE_DATA,
  environment: commonV1.Environment.ENVIRONMENT_PRODUCTION,
  versionChange: commonV1.VersionChange.VERSION_CHANGE_UNSPECIFIED,
  target: "account/12345",
  amount: { currencyCode: "USD", units: 5000, nanos: 500_000_000 },
  message: {
    channel: "email",
    external: true,
    body: "Your transfer is on its way",
    recipients: ["c@example.com"],
  },
  arguments: { to: "DE89370400440532013000", memo: "invoice 42", urgent: true, lines: [1, 2] },
  requestedBy: {
    type: commonV1.ActorType.ACTOR_TYPE_HUMAN,
    id: "alice",
    name: "Alice",
    roles: ["engineer"],
    team: "payments",
  },
  ticket: "FIN-7",
  reason: "customer asked for a transfer",
  ai: {
    model: "claude-sonnet-4",
    version: "2025-05",
    promptDigest: "sha256:ab",
    rationale: "matches the invoice",
    confidence: 0.92,
  },
  requestedAt: new Date("2025-01-15T10:00:00.000Z"),
  labels: { team: "payments" },
});

const decision: policyV1.Decision = policyV1.Decision.fromPartial({
  actionId: request.actionId,
  agentId: request.agentId,
  outcome: policyV1.Outcome.OUTCOME_APPROVAL_REQUIRED,
  matchedRules: [
    {
      ruleId: "financial.every-transaction",
      effect: policyV1.Effect.EFFECT_APPROVAL_REQUIRED,
      reason: "every transaction needs approval",
      shadow: false,
    },
    { ruleId: "financial.new-payee", effect: policyV1.Effect.EFFECT_DENY, reason: "new payee", shadow: true },
  ],
  reasons: ["every transaction needs approval"],
  approval: {
    workflow: "production_deployment",
    minApprovers: 2,
    eligibleRoles: ["team-lead", "on-call-engineer"],
    requiredRoles: [],
    timeoutSeconds: 1800,
    escalationChain: [{ roles: ["engineering-lead"], timeoutSeconds: 1800 }],
    aiMayRecommend: true,
    notificationChannels: ["slack:#deploys"],
  },
  bundleDigest: "sha256:0123",
  evaluatedAt: new Date("2025-01-15T10:00:00.001Z"),
  evalDurationNs: 1234,
  riskLevel: commonV1.RiskLevel.RISK_LEVEL_HIGH,
  aiAutonomy: policyV1.AiAutonomy.AI_AUTONOMY_RECOMMEND,
  requestDigest: "sha256:4567",
  killswitchEpoch: 7,
  emergencyStop: false,
  request,
});

/** Serialize as it travels on NATS: JSON text, parsed back into a plain value. */
function wire(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

describe("proto JSON mapping", () => {
  it("round-trips an ActionRequest with camelCase keys and enum names as strings", () => {
    const json = wire(commonV1.ActionRequest.toJSON(request));

    expect(json).toMatchObject({
      actionId: "01J9ZQ6K3W8Y2T5N4R7M1B0C9D",
      changeType: "CHANGE_TYPE_DATA",
      environment: "ENVIRONMENT_PRODUCTION",
      requestedBy: { type: "ACTOR_TYPE_HUMAN", id: "alice" },
      amount: { currencyCode: "USD", units: 5000, nanos: 500_000_000 },
      message: { channel: "email", external: true },
      arguments: { to: "DE89370400440532013000", urgent: true, lines: [1, 2] },
      ai: { promptDigest: "sha256:ab", confidence: 0.92 },
      requestedAt: "2025-01-15T10:00:00.000Z",
    });
    // Zero values are omitted, as proto JSON prescribes.
    expect(json).not.toHaveProperty("versionChange");
    expect(Object.keys(json).some((key) => key.includes("_"))).toBe(false);

    expect(commonV1.ActionRequest.fromJSON(json)).toEqual(request);
  });

  it("round-trips a Decision, nested request included", () => {
    const json = wire(policyV1.Decision.toJSON(decision));

    expect(json).toMatchObject({
      outcome: "OUTCOME_APPROVAL_REQUIRED",
      riskLevel: "RISK_LEVEL_HIGH",
      aiAutonomy: "AI_AUTONOMY_RECOMMEND",
      matchedRules: [
        { ruleId: "financial.every-transaction", effect: "EFFECT_APPROVAL_REQUIRED" },
        { ruleId: "financial.new-payee", effect: "EFFECT_DENY", shadow: true },
      ],
      approval: { minApprovers: 2, timeoutSeconds: 1800, escalationChain: [{ roles: ["engineering-lead"] }] },
      evaluatedAt: "2025-01-15T10:00:00.001Z",
      request: { environment: "ENVIRONMENT_PRODUCTION" },
    });

    expect(policyV1.Decision.fromJSON(json)).toEqual(decision);
  });

  it("keeps enums as strings in memory, so a decoded value compares with the wire name", () => {
    const parsed = policyV1.Decision.fromJSON({ outcome: "OUTCOME_DENY", riskLevel: 4 });
    expect(parsed.outcome).toBe("OUTCOME_DENY");
    // Numeric input is accepted (proto JSON allows it) and normalized to the name.
    expect(parsed.riskLevel).toBe("RISK_LEVEL_CRITICAL");
    // An unknown name is not silently mapped to a known value.
    expect(policyV1.Decision.fromJSON({ outcome: "OUTCOME_MAYBE" }).outcome).toBe("UNRECOGNIZED");
  });

  it("round-trips the binary encoding used by gRPC", () => {
    const bytes = policyV1.Decision.encode(decision).finish();
    expect(policyV1.Decision.decode(bytes)).toEqual(decision);
  });
});

describe("reflection support", () => {
  it("ships a descriptor set naming every Warden service", () => {
    const descriptor = new TextDecoder("latin1").decode(readDescriptorSet());
    expect(wardenServiceNames).toHaveLength(5);
    for (const fullName of wardenServiceNames) {
      const service = fullName.slice(fullName.lastIndexOf(".") + 1);
      expect(descriptor).toContain(service);
    }
  });

  it("holds the grpc.health.v1 file too, so reflection clients resolve grpc.health.v1.Health", () => {
    const set = fromBinary(FileDescriptorSetSchema, readDescriptorSet());
    const health = set.file.find((f) => f.name === "grpc/health/v1/health.proto");
    expect(health?.package).toBe("grpc.health.v1");
    expect(health?.service.map((s) => [s.name, s.method.map((m) => m.name)])).toEqual([
      ["Health", ["Check", "Watch"]],
    ]);
    // Warden's own files are all still there, each once.
    const names = set.file.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("warden/policy/v1/policy_service.proto");
  });
});
