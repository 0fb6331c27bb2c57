// The pure parts of the NATS usage view: window start, and that a decision counted
// locally and its copy from the stream get the same key (so the copy is not counted twice).
import { buildEvent, encodeEvent, events, topology } from "@warden/messaging";
import type { ActionRequestData, EventPublisher } from "@warden/messaging";
import { describe, expect, it } from "vitest";
import type { RequestOrigin } from "../../app/ports.ts";
import type { Decision } from "../../domain/decision.ts";
import { STOP_CLEAR } from "../../domain/stop-state.ts";
import { UsageLedger } from "../../domain/usage-ledger.ts";
import { actionRequestFromWire } from "../../wire/wire.ts";
import { natsDecisionSink } from "./nats-decision-sink.ts";
import {
  parseDecisionUsage,
  usageFactOfDecision,
  usageFactOfEvent,
  usageWindowStart,
} from "./nats-usage-view.ts";

describe("usageWindowStart", () => {
  it("reads from the start of the UTC day, less a minute for clock skew", () => {
    expect(new Date(usageWindowStart(Date.parse("2026-03-10T15:30:00Z"))).toISOString()).toBe(
      "2026-03-09T23:59:00.000Z",
    );
  });

  it("reads the last minute too just after midnight", () => {
    expect(new Date(usageWindowStart(Date.parse("2026-03-10T00:00:20Z"))).toISOString()).toBe(
      "2026-03-09T23:58:20.000Z",
    );
  });
});

const wire: ActionRequestData = {
  actionId: "refund-7",
  agentId: "customer-support",
  action: "refund.issue",
  amount: { currencyCode: "USD", units: 80, nanos: 500_000_000 },
};
const decision: Decision = {
  actionId: "refund-7",
  agentId: "customer-support",
  outcome: "allow",
  riskLevel: "medium",
  matched: [{ ruleId: "grant", effect: "allow", reason: "ok", shadow: false }],
  reasons: ["ok"],
  bundleDigest: "sha256:00",
  evaluatedAt: "2026-03-10T10:00:00.123Z",
  evalDurationNs: 1_000,
};

/** The bytes the decision sink publishes for this decision (the real sink, a capturing publisher). */
async function published(origin: RequestOrigin): Promise<Uint8Array> {
  let bytes: Uint8Array | undefined;
  const publisher: EventPublisher = {
    publish(_subject, definition, event) {
      const envelope = buildEvent(definition, {
        ...event,
        source: "policy",
        actor: event.actor ?? { type: "service", id: "policy", roles: [] },
      });
      bytes = encodeEvent(envelope);
      return Promise.resolve({ envelope, seq: 1, duplicate: false });
    },
    publishEnvelope: () => Promise.reject(new Error("not used by the sink")),
  };
  await natsDecisionSink(publisher, topology("usage-test")).decided(
    decision,
    actionRequestFromWire(wire),
    { ...origin, wireRequest: wire },
    STOP_CLEAR,
  );
  if (bytes === undefined) throw new Error("the sink published nothing");
  return bytes;
}

describe("a decision counted locally and again from the stream", () => {
  const request = actionRequestFromWire(wire);

  it.each([
    [
      "an answer to an action.requested event",
      { authenticatedAgentId: "customer-support", requestEventId: "e-1" },
    ],
    ["an RPC / gRPC decision (generated event id)", { authenticatedAgentId: "customer-support" }],
  ] as const)("%s: same key, same facts, counted once", async (_name, origin) => {
    const local = usageFactOfDecision(decision, request, origin);
    const remote = usageFactOfEvent(parseDecisionUsage(await published(origin)));
    expect(remote).toEqual({ ...local });
    expect(local).toMatchObject({ amount: 80.5, currency: "USD", outcome: "allow" });
    const ledger = new UsageLedger();
    const now = Date.parse(decision.evaluatedAt);
    ledger.fold(local, "local", now);
    ledger.fold(remote, "stream", now);
    expect(ledger.requestsLastMinute("customer-support", now)).toBe(1);
    expect(ledger.committedToday("customer-support", "USD", now)).toBe(80.5);
  });

  it("refuses a message that is not a decision event", () => {
    const other = encodeEvent(
      buildEvent(events.actionRequested, {
        source: "agent",
        actor: { type: "ai_agent", id: "customer-support", roles: [] },
        actionId: "x",
        data: wire,
      }),
    );
    expect(() => parseDecisionUsage(other)).toThrow(/type/);
  });
});
