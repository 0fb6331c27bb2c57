import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  buildEvent,
  createCatalog,
  decodeEvent,
  decodeEventAs,
  defineEvent,
  encodeEvent,
} from "./envelope.ts";
import { InvalidMessageError } from "./errors.ts";
import { events } from "./events/index.ts";

const Transfer = z.object({ amount: z.number().nonnegative(), currency: z.string().length(3) });
const transferEvent = defineEvent("warden.test.transfer", Transfer, { requiresActionId: true });
const pingEvent = defineEvent("warden.test.ping", z.object({}), { requiresActionId: false });
const catalog = createCatalog([transferEvent, pingEvent]);
const actor = { type: "ai_agent" as const, id: "financial-advisor", roles: ["agent"] };
const encoder = new TextEncoder();

function rejection(fn: () => unknown): InvalidMessageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidMessageError) return err;
    throw err;
  }
  throw new Error("expected an InvalidMessageError");
}

function valid(): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(
      buildEvent(transferEvent, {
        source: "test",
        actor,
        actionId: "a-1",
        data: { amount: 5, currency: "USD" },
      }),
    ),
  ) as Record<string, unknown>;
}

describe("event envelope", () => {
  it("round-trips through encode and decode unchanged", () => {
    const built = buildEvent(transferEvent, {
      source: "policy",
      actor,
      actionId: "a-1",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      data: { amount: 12.5, currency: "EUR" },
    });
    const decoded = decodeEvent(encodeEvent(built), catalog);
    expect(decoded).toEqual(built);
    expect(decodeEventAs(encodeEvent(built), transferEvent).data.amount).toBe(12.5);
    expect(built.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(built.time).toISOString()).toBe(built.time);
  });

  it("keeps a caller-chosen id (the de-duplication key)", () => {
    const built = buildEvent(pingEvent, { source: "s", actor, data: {}, id: "fixed-id" });
    expect(built.id).toBe("fixed-id");
  });

  it("rejects malformed JSON", () => {
    const err = rejection(() => decodeEvent(encoder.encode("{not json"), catalog));
    expect(err.reason).toBe("malformed_json");
    expect(err.message).toContain("not valid UTF-8 JSON");
  });

  it("rejects bytes that are not UTF-8", () => {
    expect(rejection(() => decodeEvent(new Uint8Array([0xff, 0xfe, 0x7b]), catalog)).reason).toBe(
      "malformed_json",
    );
  });

  it("rejects an unknown event type, naming it", () => {
    const raw = { ...valid(), type: "warden.test.unknown" };
    const err = rejection(() => decodeEvent(encoder.encode(JSON.stringify(raw)), catalog));
    expect(err.reason).toBe("unknown_type");
    expect(err.issues).toEqual([{ field: "type", reason: "unknown event type warden.test.unknown" }]);
  });

  it("rejects an event of another type when one is expected", () => {
    const ping = buildEvent(pingEvent, { source: "s", actor, data: {} });
    expect(rejection(() => decodeEventAs(encodeEvent(ping), transferEvent)).reason).toBe("unknown_type");
  });

  it.each([
    ["id", undefined, "id"],
    ["source", "", "source"],
    ["time", "yesterday", "time"],
    ["type", "Not.A.Type", "type"],
    ["traceparent", "00-xyz", "traceparent"],
    ["actor", { type: "robot", id: "x", roles: [] }, "actor.type"],
    ["actor", { type: "human", roles: [] }, "actor.id"],
    ["actor", { type: "human", id: "x", roles: [7] }, "actor.roles.0"],
  ])("names the envelope field when %s is wrong", (key, value, field) => {
    const raw = { ...valid(), [key]: value };
    if (value === undefined) delete raw[key];
    const err = rejection(() => decodeEvent(encoder.encode(JSON.stringify(raw)), catalog));
    expect(err.reason).toBe("schema");
    expect(err.issues.map((i) => i.field)).toContain(field);
  });

  it("rejects unknown top-level envelope keys", () => {
    const raw = { ...valid(), extra: 1 };
    const err = rejection(() => decodeEvent(encoder.encode(JSON.stringify(raw)), catalog));
    expect(err.reason).toBe("schema");
    expect(err.message).toMatch(/extra/);
  });

  it("names data fields that are missing or mistyped", () => {
    const raw = { ...valid(), data: { amount: "five" } };
    const err = rejection(() => decodeEvent(encoder.encode(JSON.stringify(raw)), catalog));
    expect(err.reason).toBe("schema");
    expect(err.issues.map((i) => i.field).sort()).toEqual(["data.amount", "data.currency"]);
  });

  it("requires an actionId for action-scoped types", () => {
    const raw = valid();
    delete raw["actionId"];
    const err = rejection(() => decodeEvent(encoder.encode(JSON.stringify(raw)), catalog));
    expect(err.issues).toEqual([{ field: "actionId", reason: "required for warden.test.transfer" }]);
  });

  it("validates on publish too: a bad payload never gets built", () => {
    const err = rejection(() =>
      buildEvent(transferEvent, { source: "s", actor, actionId: "a", data: { amount: -1, currency: "USD" } }),
    );
    expect(err.issues[0]?.field).toBe("data.amount");
  });

  it("rejects oversized payloads on both sides", () => {
    const big = buildEvent(pingEvent, { source: "x".repeat(200), actor, data: {} });
    expect(rejection(() => encodeEvent(big, 100)).reason).toBe("oversized");
    expect(rejection(() => decodeEvent(new Uint8Array(2_000), catalog, 1_000)).reason).toBe("oversized");
  });

  describe("data as outside protojson encoders write it", () => {
    const envelopeWith = (data: unknown): Uint8Array =>
      encoder.encode(
        JSON.stringify({
          id: "e-1",
          type: "warden.action.requested",
          source: "agent/bot",
          time: "2026-11-22T10:00:00Z",
          actionId: "a-1",
          actor: { type: "ai_agent", id: "bot", roles: [] },
          data,
        }),
      );

    it("accepts original field names, enum numbers, int64 strings and omitted defaults", () => {
      const decoded = decodeEventAs(
        envelopeWith({
          action_id: "a-1",
          agent_id: "bot",
          action: "transaction.execute",
          environment: 3,
          amount: { currency_code: "EUR", units: "1200" },
          message: { body: "hello", external: false },
        }),
        events.actionRequested,
      );
      expect(decoded.data).toEqual({
        actionId: "a-1",
        agentId: "bot",
        action: "transaction.execute",
        environment: "ENVIRONMENT_PRODUCTION",
        amount: { currencyCode: "EUR", units: 1200 },
        message: { channel: "", body: "hello" },
      });
    });

    it("names the field, the expected type and what came", () => {
      const err = rejection(() =>
        decodeEventAs(
          envelopeWith({
            actionId: "a-1",
            agentId: "bot",
            action: "x",
            amount: { currencyCode: "USD", units: "lots" },
          }),
          events.actionRequested,
        ),
      );
      expect(err.issues).toEqual([
        {
          field: "data.amount.units",
          reason: 'expected an int64 (a whole number or a decimal string), got string "lots"',
        },
      ]);
    });
  });
});
