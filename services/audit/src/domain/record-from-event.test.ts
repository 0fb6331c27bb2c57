import { describe, expect, it } from "vitest";
import { sampleEnvelope } from "../testing/sample-events.ts";
import { retainUntil, retentionClassFor } from "./audit-record.ts";
import { recordFromEvent } from "./record-from-event.ts";

const receivedAt = new Date("2025-06-01T00:00:00.000Z");

describe("recordFromEvent", () => {
  it("maps an action request: who, what, where, why and the AI context", () => {
    const draft = recordFromEvent(sampleEnvelope(0), "warden.action.requested.agent-0", { receivedAt });
    expect(draft).toMatchObject({
      eventId: "evt-0",
      type: "warden.action.requested",
      subject: "warden.action.requested.agent-0",
      source: "sdk",
      time: "2025-01-01T00:00:00.000Z",
      traceId: "0".repeat(32),
      actor: { type: "ai_agent", id: "agent-0", name: null, roles: ["deployer"], team: null },
      actionId: "act-000000",
      agentId: "agent-0",
      what: { action: "code.deploy", tool: "github.merge", target: "service/payments-api-0" },
      where: { environment: "production", service: null, resource: "service/payments-api-0" },
      why: { reason: "fix rounding bug", ticket: "JIRA-1000", ruleIds: [], bundleDigest: null },
      outcome: null,
      approvals: [],
      ai: { model: "claude-sonnet-4", version: "2025-05", rationale: "tests green", confidence: 0.87 },
      retentionClass: "production-7y",
      encryptedFields: [],
      issues: [],
    });
    expect(draft.what.argumentsDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(draft.data).toEqual(sampleEnvelope(0).data);
  });

  it("maps a policy decision: outcome, matched rules, bundle digest, reasons", () => {
    const draft = recordFromEvent(sampleEnvelope(4), "warden.decision.approval_required.agent-4", {
      receivedAt,
    });
    expect(draft).toMatchObject({
      actor: { type: "service", id: "policy" },
      agentId: "agent-4",
      outcome: "allow",
      where: { environment: "staging" },
      why: {
        reason: "fix rounding bug",
        ruleIds: ["deploy.production"],
        bundleDigest: `sha256:${"cd".repeat(32)}`,
      },
      retentionClass: "staging-1y",
    });
  });

  it("maps an approval vote", () => {
    const draft = recordFromEvent(sampleEnvelope(2), "warden.approval.vote_cast", { receivedAt });
    expect(draft.approvals).toEqual([
      { by: "dana", decision: "approve", at: "2025-01-01T00:00:02.000Z", comment: "looks good" },
    ]);
    expect(draft.outcome).toBe("approve");
    expect(draft.actor).toEqual({
      type: "human",
      id: "dana",
      name: "Dana Lead",
      roles: ["team-lead"],
      team: null,
    });
  });

  it("derives the retention class from the environment; unknown is kept longest", () => {
    expect(retentionClassFor("production")).toBe("production-7y");
    expect(retentionClassFor("staging")).toBe("staging-1y");
    expect(retentionClassFor("development")).toBe("development-90d");
    expect(retentionClassFor("qa")).toBe("production-7y");
    expect(retentionClassFor(null)).toBe("production-7y");
    const dev = recordFromEvent({ ...sampleEnvelope(0), data: { environment: "dev" } }, "s", { receivedAt });
    expect(dev.retentionClass).toBe("development-90d");
    expect(retainUntil(new Date("2024-02-29T00:00:00Z"), "development-90d")).toBe("2024-05-29T00:00:00.000Z");
    expect(retainUntil(new Date("2025-01-01T00:00:00Z"), "production-7y")).toBe("2032-01-01T00:00:00.000Z");
  });

  it("records a malformed envelope whole, with its problems, under a stable digest id", () => {
    const garbage = { type: 42, actor: "nobody", data: { hello: "world" } };
    const a = recordFromEvent(garbage, "warden.invalid.schema", { receivedAt });
    const b = recordFromEvent(garbage, "warden.invalid.schema", { receivedAt });
    expect(a.eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.eventId).toBe(a.eventId); // a redelivery dedupes
    expect(a.type).toBe("unknown");
    expect(a.time).toBe(receivedAt.toISOString());
    expect(a.data).toEqual(garbage);
    expect(a.actor).toMatchObject({ type: "unknown", id: "unknown" });
    expect(a.issues.join("\n")).toMatch(/^id: /m);
    expect(a.issues.join("\n")).toMatch(/^actor: /m);
    expect(recordFromEvent(garbage, "x", { receivedAt, fallbackId: "WARDEN_EVENTS:77" }).eventId).toBe(
      "WARDEN_EVENTS:77",
    );
    expect(recordFromEvent("just a string", "x", { receivedAt }).data).toBe("just a string");
  });

  it("stores what JSON and a Mongo-wire store can hold, and says what it changed", () => {
    const envelope = {
      ...sampleEnvelope(0),
      data: { $where: "x", "a.b": { "\u0000": 1 }, s: "bad \ud800 surrogate", n: Number.NaN },
    };
    const draft = recordFromEvent(envelope, "s", { receivedAt });
    expect(draft.data).toEqual({
      "\uFF04where": "x",
      "a\uFF0Eb": { "\u2400": 1 },
      s: "bad \uFFFD surrogate",
      n: null,
    });
    expect(draft.issues).toHaveLength(3);
  });

  it("keeps __proto__ keys as data, not as prototypes", () => {
    const envelope = JSON.parse(
      '{"id":"e","type":"warden.x.y","source":"s","time":"2025-01-01T00:00:00Z","actor":{"type":"human","id":"u"},"data":{"__proto__":{"polluted":true}}}',
    ) as unknown;
    const draft = recordFromEvent(envelope, "s", { receivedAt });
    expect(Object.keys(draft.data as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
