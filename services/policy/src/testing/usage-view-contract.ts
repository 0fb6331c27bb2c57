// The UsageView contract (STYLE.md item 17): one suite that the fake (a unit test) and the NATS usage
// watcher (test/usage-view-contract.test.ts, on a real NATS server) both pass. `make(agents)` returns
// a view tracking `agents`, and the stream around it: `record` publishes a decision as this replica's
// decision sink does, `fromAnotherReplica` as another replica's, and `settle` waits until the view
// has read everything published before it (the fake has no stream: all three are immediate).
import { describe, expect, it } from "vitest";
import type { RequestOrigin, UsageView } from "../app/ports.ts";
import type { ActionRequest } from "../domain/action-request.ts";
import type { Decision, Outcome } from "../domain/decision.ts";

export interface DecidedAction {
  readonly decision: Decision;
  readonly request: ActionRequest;
  readonly origin: RequestOrigin;
}

export interface UsageViewUnderTest {
  readonly view: UsageView;
  readonly caughtUp: () => Promise<void>;
  readonly record: (d: DecidedAction) => Promise<void>;
  readonly fromAnotherReplica: (d: DecidedAction) => Promise<void>;
  readonly settle: () => Promise<void>;
  readonly close: () => Promise<void>;
}

let seq = 0;
/** A decision made just now (the view counts the last minute and the UTC day). */
export function decidedNow(
  agentId: string,
  outcome: Outcome,
  extra: { units?: number; requestEventId?: string } = {},
): DecidedAction {
  seq += 1;
  const actionId = `usage-contract-${seq}`;
  const money = extra.units === undefined ? {} : { amount: extra.units, currency: "USD" };
  return {
    decision: {
      actionId,
      agentId,
      outcome,
      riskLevel: "low",
      matched: [],
      reasons: [],
      bundleDigest: `sha256:${"0".repeat(64)}`,
      evaluatedAt: new Date().toISOString(),
      evalDurationNs: 1_000,
    },
    request: { actionId, agentId, action: "refund.issue", ...money },
    origin: {
      authenticatedAgentId: agentId,
      ...(extra.requestEventId === undefined ? {} : { requestEventId: extra.requestEventId }),
      wireRequest: {
        actionId,
        agentId,
        action: "refund.issue",
        ...(extra.units === undefined ? {} : { amount: { currencyCode: "USD", units: extra.units } }),
      },
    },
  };
}

export function describeUsageViewContract(
  name: string,
  make: (agentIds: readonly string[]) => Promise<UsageViewUnderTest>,
): void {
  describe(`UsageView contract: ${name}`, () => {
    const usage = (view: UsageView, agentId: string) => view.current(agentId, "USD", Date.now());

    it("counts its own decision at once, and its copy from the stream not again", async () => {
      const u = await make(["bot"]);
      try {
        await u.caughtUp();
        expect(usage(u.view, "bot")).toEqual({
          state: "confirmed",
          requestsLastMinute: 0,
          committedToday: 0,
        });
        const d = decidedNow("bot", "allow", { units: 40 });
        u.view.decided(d.decision, d.request, d.origin);
        expect(usage(u.view, "bot")).toEqual({
          state: "confirmed",
          requestsLastMinute: 1,
          committedToday: 40,
        });
        await u.record(d);
        await u.settle();
        expect(usage(u.view, "bot")).toEqual({
          state: "confirmed",
          requestsLastMinute: 1,
          committedToday: 40,
        });
      } finally {
        await u.close();
      }
    });

    it("counts another replica's decisions once read; a denied amount is not spent", async () => {
      const u = await make(["bot"]);
      try {
        await u.caughtUp();
        await u.fromAnotherReplica(decidedNow("bot", "approval_required", { units: 25 }));
        await u.fromAnotherReplica(decidedNow("bot", "deny", { units: 1_000 }));
        await u.settle();
        expect(usage(u.view, "bot")).toEqual({
          state: "confirmed",
          requestsLastMinute: 2,
          committedToday: 25,
        });
      } finally {
        await u.close();
      }
    });

    it("counts the answer to one request event once, however often it is decided and recorded", async () => {
      const u = await make(["bot"]);
      try {
        await u.caughtUp();
        const d = decidedNow("bot", "allow", { requestEventId: `evt-${seq + 1}` });
        u.view.decided(d.decision, d.request, d.origin);
        u.view.decided(d.decision, d.request, d.origin); // a redelivery
        expect(usage(u.view, "bot")).toMatchObject({ requestsLastMinute: 1 });
        await u.record(d);
        await u.settle();
        expect(usage(u.view, "bot")).toMatchObject({ state: "confirmed", requestsLastMinute: 1 });
      } finally {
        await u.close();
      }
    });
  });
}
