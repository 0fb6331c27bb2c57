// The DecisionSink contract (STYLE.md item 17): one suite that the in-memory fake (a unit test) and
// the NATS adapter (test/decision-sink-contract.test.ts, on a real NATS server) both pass. `make`
// returns a fresh sink and a way to read back what it recorded, oldest first.
import { describe, expect, it } from "vitest";
import type { DecisionSink, RequestOrigin } from "../app/ports.ts";
import type { ActionRequest } from "../domain/action-request.ts";
import type { Decision, Outcome } from "../domain/decision.ts";
import { STOP_CLEAR } from "../domain/stop-state.ts";

/** A recorded decision as every sink can show it. */
export interface RecordedDecision {
  readonly actionId: string;
  /** The agent it was recorded for (the authenticated one). */
  readonly agentId: string;
  readonly outcome: Outcome;
  /** Recorded as a dry run (someone other than the agent asked). */
  readonly dryRun: boolean;
}

export interface DecisionSinkUnderTest {
  readonly sink: DecisionSink;
  readonly recorded: () => Promise<RecordedDecision[]>;
}

let seq = 0;
function decisionFor(agentId: string, outcome: Outcome): { decision: Decision; request: ActionRequest } {
  seq += 1;
  const actionId = `contract-${seq}`;
  return {
    decision: {
      actionId,
      agentId,
      outcome,
      riskLevel: "low",
      matched: [],
      reasons: [],
      bundleDigest: `sha256:${"0".repeat(64)}`,
      evaluatedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      evalDurationNs: 1_000,
    },
    request: { actionId, agentId, action: "knowledge.search" },
  };
}

export function describeDecisionSinkContract(name: string, make: () => Promise<DecisionSinkUnderTest>): void {
  describe(`DecisionSink contract: ${name}`, () => {
    it("records each decision for the authenticated agent, in order", async () => {
      const { sink, recorded } = await make();
      const a = decisionFor("bot-a", "allow");
      const b = decisionFor("bot-b", "approval_required");
      await sink.decided(a.decision, a.request, { authenticatedAgentId: "bot-a" }, STOP_CLEAR);
      await sink.decided(b.decision, b.request, { authenticatedAgentId: "bot-b" }, STOP_CLEAR);
      expect(await recorded()).toEqual([
        { actionId: a.decision.actionId, agentId: "bot-a", outcome: "allow", dryRun: false },
        { actionId: b.decision.actionId, agentId: "bot-b", outcome: "approval_required", dryRun: false },
      ]);
    });

    it("records the answer to one request event once, however often it is re-delivered", async () => {
      const { sink, recorded } = await make();
      const d = decisionFor("bot", "deny");
      const origin: RequestOrigin = {
        authenticatedAgentId: "bot",
        requestEventId: `evt-${d.decision.actionId}`,
      };
      await sink.decided(d.decision, d.request, origin, STOP_CLEAR);
      await sink.decided(d.decision, d.request, origin, STOP_CLEAR);
      // Control: without a request event (gRPC, request-reply) every call is its own decision.
      const e = decisionFor("bot", "allow");
      await sink.decided(e.decision, e.request, { authenticatedAgentId: "bot" }, STOP_CLEAR);
      await sink.decided(e.decision, e.request, { authenticatedAgentId: "bot" }, STOP_CLEAR);
      expect((await recorded()).map((r) => r.actionId)).toEqual([
        d.decision.actionId,
        e.decision.actionId,
        e.decision.actionId,
      ]);
    });

    it("records a dry run as one, for the agent it is about", async () => {
      const { sink, recorded } = await make();
      const d = decisionFor("bot", "allow");
      await sink.decided(
        d.decision,
        d.request,
        { authenticatedAgentId: "bot", dryRunBy: { type: "human", id: "alice", roles: ["engineer"] } },
        STOP_CLEAR,
      );
      expect(await recorded()).toEqual([
        { actionId: d.decision.actionId, agentId: "bot", outcome: "allow", dryRun: true },
      ]);
    });
  });
}
