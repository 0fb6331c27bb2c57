// The policy service in-process against a real NATS server: every transport, the kill switch, hot
// reload, identity, and one trace across publish → consume → gRPC.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { trace } from "@opentelemetry/api";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { DevIssuer } from "@warden/identity";
import { createPublisher, decodeEnvelope, events, KILLSWITCH_STATE_KEY, requestRpc } from "@warden/messaging";
import type {
  ActionRequestData,
  DecisionData,
  Envelope,
  EventPublisher,
  InvalidEventData,
  Topology,
  AccessRefusedData,
} from "@warden/messaging";
import { createLogger, createTestTelemetry } from "@warden/telemetry";
import type { TestTelemetry } from "@warden/telemetry";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunningPolicyService } from "../src/start-policy-service.ts";
import { present, startPolicyForTest, WAIT } from "./support.ts";
import type { PolicyUnderTest } from "./support.ts";

let telemetry: TestTelemetry;
let policy: PolicyUnderTest;
let running: RunningPolicyService;
let nc: NatsConnection;
let t: Topology;
let agentPublisher: EventPublisher;
let issuer: DevIssuer;
let decisionSub: Subscription;
const decisions = new Map<string, Envelope<DecisionData>>();
const bundleEvents: Envelope<unknown>[] = [];
const invalidReports: Envelope<InvalidEventData>[] = [];
const accessRefusals: Envelope<AccessRefusedData>[] = [];
/** What the service logs at warn and above, one parsed pino line each. */
const warnings: { level: string; msg: string; [key: string]: unknown }[] = [];

let seq = 0;
function request(overrides: Partial<ActionRequestData> = {}): ActionRequestData {
  seq += 1;
  return {
    actionId: `act-${seq}-${Date.now()}`,
    agentId: "release-pipeline",
    action: "change.deploy",
    changeType: "CHANGE_TYPE_CODE",
    environment: "ENVIRONMENT_DEVELOPMENT",
    versionChange: "VERSION_CHANGE_PATCH",
    ...overrides,
  };
}

async function evaluateRpc(agent: string, body: ActionRequestData): Promise<DecisionData> {
  return (await requestRpc(
    nc,
    t.rpc.policyEvaluate(agent),
    new TextEncoder().encode(JSON.stringify(body)),
  )) as DecisionData;
}

beforeAll(async () => {
  // Telemetry before the service modules load (nice-grpc-opentelemetry takes its tracer at import).
  telemetry = createTestTelemetry("policy-test");
  policy = await startPolicyForTest(
    {},
    {
      log: createLogger({
        service: "policy",
        level: "warn",
        destination: {
          write: (line: string) => void warnings.push(JSON.parse(line) as (typeof warnings)[number]),
        },
      }),
    },
  );
  ({ running, nc, issuer, t } = policy);
  decisionSub = nc.subscribe(t.subjects.allEvents, {
    callback: (_err, msg) => {
      const envelope = decodeEnvelope(msg.data);
      if (envelope.type === events.decisionMade.type)
        decisions.set(envelope.actionId ?? "", envelope as Envelope<DecisionData>);
      if (envelope.type.startsWith("warden.policy.bundle")) bundleEvents.push(envelope);
      if (envelope.type === events.invalidMessage.type)
        invalidReports.push(envelope as Envelope<InvalidEventData>);
      if (envelope.type === events.accessRefused.type && msg.subject === t.subjects.accessRefused("policy"))
        accessRefusals.push(envelope as Envelope<AccessRefusedData>);
    },
  });
  agentPublisher = createPublisher(nc, { source: "test-agent" });
}, 60_000);

afterAll(async () => {
  decisionSub?.unsubscribe();
  await policy?.stop();
  await telemetry.shutdown().catch(() => undefined);
});

describe("decisions over NATS", () => {
  it("decides a published action request and records the decision", async () => {
    const body = request();
    await agentPublisher.publish(t.subjects.actionRequested("release-pipeline"), events.actionRequested, {
      actionId: body.actionId,
      data: body,
    });
    const decision = await vi.waitFor(
      () => present(decisions.get(body.actionId), "the decision event"),
      WAIT,
    );
    expect(decision.data.outcome).toBe("OUTCOME_ALLOW");
    expect(decision.data.matchedRules?.map((r) => r.ruleId)).toContain("matrix.code.development.patch");
    expect(decision.data.bundleDigest).toBe(running.service.status().digest);
    expect(decision.data.requestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(decision.data.request).toEqual(body);
  });

  it("answers request-reply with the same format and records that decision too", async () => {
    const body = request({
      agentId: "financial-advisor",
      action: "transaction.execute",
      changeType: undefined,
      environment: undefined,
      versionChange: undefined,
      amount: { currencyCode: "USD", units: 5_000 },
    });
    const decision = await evaluateRpc("financial-advisor", body);
    expect(decision.outcome).toBe("OUTCOME_DENY");
    expect(decision.matchedRules?.map((r) => r.ruleId)).toContain("transaction.limit");
    expect(decision.reasons?.join(" ")).toContain("$1,000");
    const recorded = await vi.waitFor(
      () => present(decisions.get(body.actionId), "the recorded decision"),
      WAIT,
    );
    expect(recorded.data.outcome).toBe("OUTCOME_DENY");
  });

  it("requires approval for a production patch, with 2 approvers", async () => {
    const decision = await evaluateRpc(
      "release-pipeline",
      request({ environment: "ENVIRONMENT_PRODUCTION" }),
    );
    expect(decision.outcome).toBe("OUTCOME_APPROVAL_REQUIRED");
    expect(decision.approval).toMatchObject({ workflow: "production_deployment", minApprovers: 2 });
  });

  it("denies a payload that claims another agent than the subject it came on", async () => {
    const body = request({ agentId: "release-pipeline" });
    await agentPublisher.publish(t.subjects.actionRequested("customer-support"), events.actionRequested, {
      actionId: body.actionId,
      data: body,
    });
    const decision = await vi.waitFor(
      () => present(decisions.get(body.actionId), "the identity decision"),
      WAIT,
    );
    expect(decision.data.outcome).toBe("OUTCOME_DENY");
    expect(decision.data.matchedRules?.map((r) => r.ruleId)).toContain("identity.mismatch");
  });

  it("reports an action request on the bare subject (no agent) as warden.invalid.identity, never decided", async () => {
    const anonymous = request();
    const bare = t.subjects.actionRequestedUnidentified;
    await agentPublisher.publish(bare, events.actionRequested, {
      actionId: anonymous.actionId,
      data: anonymous,
    });
    const report = await vi.waitFor(
      () => {
        const found = invalidReports.find((r) => r.data.originalSubject === bare);
        expect(found).toBeDefined();
        return found;
      },
      { timeout: 10_000 },
    );
    expect(report?.data).toMatchObject({
      reason: "identity",
      field: "(subject)",
      detectedBy: "policy-decisions",
    });
    // Sentinel: a request published afterwards is decided, and still nothing was decided for the first.
    const sentinel = request();
    await agentPublisher.publish(t.subjects.actionRequested("release-pipeline"), events.actionRequested, {
      actionId: sentinel.actionId,
      data: sentinel,
    });
    await vi.waitFor(() => expect(decisions.get(sentinel.actionId)).toBeDefined(), { timeout: 10_000 });
    expect(decisions.get(anonymous.actionId)).toBeUndefined();
  });

  it("rejects a malformed RPC request with a clear error naming the field", async () => {
    const bad = { ...request(), environment: "PRODUCTION" };
    await expect(
      requestRpc(nc, t.rpc.policyEvaluate("release-pipeline"), new TextEncoder().encode(JSON.stringify(bad))),
    ).rejects.toMatchObject({
      code: "invalid_schema",
      issues: [expect.objectContaining({ field: "environment" })],
    });
  });
});

describe("emergency stop", () => {
  afterEach(async () => {
    const kv = await new Kvm(nc).open(t.kv.killswitch);
    await kv.put(KILLSWITCH_STATE_KEY, JSON.stringify({ epoch: 100, active: false, scopes: [] }));
    await expect
      .poll(async () => (await evaluateRpc("release-pipeline", request())).outcome, {
        ...WAIT,
        message: "the stop to clear",
      })
      .toBe("OUTCOME_ALLOW");
  });

  it("denies everything in scope while a stop is active, and not after", async () => {
    const kv = await new Kvm(nc).open(t.kv.killswitch);
    await kv.put(
      KILLSWITCH_STATE_KEY,
      JSON.stringify({ epoch: 7, active: true, scopes: [{ kind: "SCOPE_KIND_GLOBAL" }], reason: "incident" }),
    );
    const decision = await vi.waitFor(async () => {
      const d = await evaluateRpc("release-pipeline", request());
      return present(d.outcome === "OUTCOME_DENY" ? d : undefined, "a deny under the stop");
    }, WAIT);
    expect(decision.emergencyStop).toBe(true);
    expect(decision.killswitchEpoch).toBe(7);
    expect(decision.matchedRules?.map((r) => r.ruleId)).toContain("killswitch.active");
    // Safety actions stay allowed under a stop (DESIGN.md §6).
    const rollback = await evaluateRpc("release-pipeline", request({ action: "change.rollback" }));
    expect(rollback.matchedRules?.map((r) => r.ruleId)).not.toContain("killswitch.active");

    await kv.put(KILLSWITCH_STATE_KEY, JSON.stringify({ epoch: 8, active: false, scopes: [] }));
    await expect
      .poll(async () => (await evaluateRpc("release-pipeline", request())).outcome, {
        ...WAIT,
        message: "allow after resume",
      })
      .toBe("OUTCOME_ALLOW");
    // The clear state has an epoch too, and the decision carries it: an approval is bound to it,
    // and the approval service checks the consume against the epoch it sees now (8, not 0).
    const after = await evaluateRpc("release-pipeline", request());
    expect(after.emergencyStop).toBe(false);
    expect(after.killswitchEpoch).toBe(8);
  });

  it("denies once the bucket is purged under an active stop: missing state is unknown", async () => {
    const kv = await new Kvm(nc).open(t.kv.killswitch);
    await kv.put(
      KILLSWITCH_STATE_KEY,
      JSON.stringify({ epoch: 9, active: true, scopes: [{ kind: "SCOPE_KIND_GLOBAL" }] }),
    );
    // Control: the stop itself is in force first.
    await vi.waitFor(
      async () =>
        expect(
          (await evaluateRpc("release-pipeline", request())).matchedRules?.map((r) => r.ruleId),
        ).toContain("killswitch.active"),
      { timeout: 10_000 },
    );
    await (await jetstreamManager(nc)).streams.purge(`KV_${t.kv.killswitch}`);
    await vi.waitFor(
      async () =>
        expect(
          (await evaluateRpc("release-pipeline", request())).matchedRules?.map((r) => r.ruleId),
        ).toContain("killswitch.unknown"),
      // The purge leaves nothing to watch: the periodic re-read (every lease/3) finds the key gone.
      { timeout: 10_000 },
    );
    const decision = await evaluateRpc("release-pipeline", request());
    expect(decision.outcome).toBe("OUTCOME_DENY");
  });

  it("fails closed on a state it cannot read", async () => {
    const kv = await new Kvm(nc).open(t.kv.killswitch);
    await kv.put(KILLSWITCH_STATE_KEY, "{not json");
    const decision = await vi.waitFor(async () => {
      const d = await evaluateRpc("release-pipeline", request());
      return present(d.outcome === "OUTCOME_DENY" ? d : undefined, "a deny on unreadable state");
    }, WAIT);
    expect(decision.matchedRules?.map((r) => r.ruleId)).toContain("killswitch.unknown");
  });
});

describe("gRPC PolicyService", () => {
  async function client(token?: string) {
    const { createGrpcClient } = await import("@warden/grpc");
    const { policyV1 } = await import("@warden/contracts");
    return createGrpcClient(policyV1.PolicyServiceDefinition, `127.0.0.1:${running.grpcPort}`, {
      ...(token !== undefined && { token }),
    });
  }

  it("evaluates for an authenticated pipeline, explains, and reports the bundle", async () => {
    const token = await issuer.issue({ sub: "release-pipeline", type: "service", roles: ["pipeline"] });
    const { commonV1 } = await import("@warden/contracts");
    const c = await client(token);
    try {
      const wire = request();
      const evaluated = await c.client.evaluate({ request: commonV1.ActionRequest.fromJSON(wire) });
      expect(evaluated.decision?.outcome).toBe("OUTCOME_ALLOW");
      const explained = await c.client.explain({ request: commonV1.ActionRequest.fromJSON(request()) });
      const matrixRow = explained.rules.find((r) => r.ruleId === "matrix.code.development.patch");
      expect(matrixRow?.matched).toBe(true);
      expect(explained.rules.some((r) => !r.matched && r.reason.length > 0)).toBe(true);
      const bundle = await c.client.getBundle({});
      expect(bundle.bundle?.digest).toBe(running.service.status().digest);
      expect(bundle.bundle?.ruleCount).toBeGreaterThan(10);
    } finally {
      c.close();
    }
  });

  it("refuses a call without a token, and names the field of a bad request", async () => {
    const { commonV1 } = await import("@warden/contracts");
    const anonymous = await client();
    try {
      await expect(anonymous.client.getBundle({})).rejects.toMatchObject({ code: 16 }); // UNAUTHENTICATED
    } finally {
      anonymous.close();
    }
    // The refusal is an event on warden.access.refused.policy (so the audit holds it).
    const refused = await vi.waitFor(
      () =>
        present(
          accessRefusals.find((e) => e.data.operation.endsWith("/GetBundle")),
          "the access refusal",
        ),
      WAIT,
    );
    expect(refused.data).toMatchObject({ service: "policy", transport: "grpc", code: "unauthenticated" });
    expect(refused.data.reason).toMatch(/no bearer token/);
    // A verified caller without the role: the refusal names who and which roles would do.
    const mallory = await client(await issuer.issue({ sub: "mallory", type: "human" }));
    try {
      await expect(mallory.client.getBundle({})).rejects.toMatchObject({ code: 7 }); // PERMISSION_DENIED
    } finally {
      mallory.close();
    }
    const denied = await vi.waitFor(
      () =>
        present(
          accessRefusals.find((e) => e.data.actor?.id === "mallory"),
          "mallory's refusal",
        ),
      WAIT,
    );
    expect(denied.data).toMatchObject({
      code: "permission_denied",
      actor: { type: "ACTOR_TYPE_HUMAN", id: "mallory" },
      missingRoles: ["policy-author or security-lead or auditor"],
    });
    const token = await issuer.issue({ sub: "release-pipeline", type: "service" });
    const c = await client(token);
    try {
      await expect(
        c.client.evaluate({
          request: commonV1.ActionRequest.fromJSON({ agentId: "release-pipeline", action: "x" }),
        }),
      ).rejects.toMatchObject({ code: 3, details: expect.stringContaining("request.actionId") as string });
    } finally {
      c.close();
    }
  });
});

describe("hot reload", () => {
  it("swaps in a changed bundle, refuses an invalid one, and records both", async () => {
    const matrix = join(policy.bundleDir, "decision-matrix.yaml");
    const original = await readFile(matrix, "utf8");
    const before = running.service.status().digest;
    // Tighten the development patch row: 0 → 1 approver.
    const changed = original.replace(
      /(environment: development\n\s+version: patch\n\s+approvers: )0/,
      "$11\n    workflow: infrastructure_change",
    );
    expect(changed).not.toBe(original);
    await writeFile(matrix, changed);
    const activated = await vi.waitFor(
      () =>
        present(
          bundleEvents.find((e) => (e.data as { previousDigest?: string }).previousDigest === before),
          "the bundle activation event",
        ),
      WAIT,
    );
    const after = (activated.data as { digest: string }).digest;
    expect(running.service.status().digest).toBe(after);
    expect((await evaluateRpc("release-pipeline", request())).outcome).toBe("OUTCOME_APPROVAL_REQUIRED");

    await writeFile(matrix, "rows: [ {changeType: code, approvers: -1 ");
    const rejected = await vi.waitFor(
      () =>
        present(
          bundleEvents.find((e) => e.type === events.bundleRejected.type),
          "the bundle rejection event",
        ),
      WAIT,
    );
    expect((rejected.data as { activeDigest: string }).activeDigest).toBe(after);
    expect((rejected.data as { errors: { file: string; line: number }[] }).errors[0]).toMatchObject({
      file: "decision-matrix.yaml",
      line: 1,
    });
    // Logged at warn (someone must fix the bundle), the YAML syntax error located at line:col.
    await vi.waitFor(() =>
      expect(warnings).toContainEqual(
        expect.objectContaining({
          level: "warn",
          msg: "policy bundle rejected; the active bundle stays",
          activeDigest: after,
          issues: [
            "decision-matrix.yaml:1:42: YAML: Flow map in block collection must be sufficiently indented and end with a }",
            "decision-matrix.yaml:1:42: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
          ],
        }),
      ),
    );
    expect(running.service.status().digest).toBe(after);
    expect((await evaluateRpc("release-pipeline", request())).outcome).toBe("OUTCOME_APPROVAL_REQUIRED");

    await writeFile(matrix, original);
    await expect
      .poll(() => running.service.status().digest, { ...WAIT, message: "the original bundle back" })
      .toBe(before);
  });
});

describe("tracing", () => {
  it("decides a request sent as `nats pub` sends it (no header, protojson as encoders write it) in the envelope's trace", async () => {
    const body = request();
    const traceId = "5bf92f3577b34da6a3ce929d0e0e4736";
    const envelope = {
      id: `pub-${body.actionId}`,
      type: events.actionRequested.type,
      source: "agent/release-pipeline",
      time: new Date().toISOString(),
      actionId: body.actionId,
      actor: { type: "ai_agent", id: "release-pipeline", roles: [] },
      traceparent: `00-${traceId}-b7ad6b7169203331-01`,
      // Original field names and an enum number, as a standard protojson encoder may write them.
      data: {
        action_id: body.actionId,
        agent_id: "release-pipeline",
        action: "change.deploy",
        environment: 1,
      },
    };
    await jetstream(nc).publish(t.subjects.actionRequested("release-pipeline"), JSON.stringify(envelope));
    const decision = await vi.waitFor(
      () => present(decisions.get(body.actionId), "the decision for the header-less request"),
      WAIT,
    );
    expect(decision.traceparent?.split("-")[1]).toBe(traceId);
    expect(decision.data.request).toMatchObject({
      agentId: "release-pipeline",
      environment: "ENVIRONMENT_DEVELOPMENT",
    });
  });

  it("keeps one trace from the agent's publish through the decision and a gRPC call", async () => {
    telemetry.reset();
    const token = await issuer.issue({ sub: "release-pipeline", type: "service" });
    const { createGrpcClient } = await import("@warden/grpc");
    const { commonV1, policyV1 } = await import("@warden/contracts");
    const c = createGrpcClient(policyV1.PolicyServiceDefinition, `127.0.0.1:${running.grpcPort}`, { token });
    const body = request();
    try {
      const traceId = await trace.getTracer("agent").startActiveSpan("agent action", async (span) => {
        await agentPublisher.publish(t.subjects.actionRequested("release-pipeline"), events.actionRequested, {
          actionId: body.actionId,
          data: body,
        });
        await c.client.evaluate({ request: commonV1.ActionRequest.fromJSON(request()) });
        span.end();
        return span.spanContext().traceId;
      });
      const decision = await vi.waitFor(
        () => present(decisions.get(body.actionId), "the traced decision"),
        WAIT,
      );
      expect(decision.traceparent?.split("-")[1]).toBe(traceId);
      const spans = () => telemetry.spans().filter((s) => s.spanContext().traceId === traceId);
      await expect
        .poll(() => spans().some((s) => s.name === "process policy-decisions"), {
          ...WAIT,
          message: "consumer span",
        })
        .toBe(true);
      const names = spans().map((s) => s.name);
      expect(names).toContain("process policy-decisions");
      expect(names.some((n) => n.includes("PolicyService/Evaluate"))).toBe(true);
    } finally {
      c.close();
    }
  });
});
