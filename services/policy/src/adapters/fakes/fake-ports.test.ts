// The in-memory fakes against their contracts; test/decision-sink-contract.test.ts runs the same
// suites against the NATS adapters.
import { describeBundleEventsContract } from "../../testing/bundle-events-contract.ts";
import { describeDecisionSinkContract } from "../../testing/decision-sink-contract.ts";
import { describeStopStateContract } from "../../testing/stop-state-contract.ts";
import { describeUsageViewContract } from "../../testing/usage-view-contract.ts";
import { FakeBundleEvents, FakeDecisionSink, FakeStopState, FakeUsageView } from "./fake-ports.ts";

describeDecisionSinkContract("FakeDecisionSink", () => {
  const sink = new FakeDecisionSink();
  return Promise.resolve({
    sink,
    recorded: () =>
      Promise.resolve(
        sink.decisions.map(({ decision, origin }) => ({
          actionId: decision.actionId,
          agentId: origin.authenticatedAgentId,
          outcome: decision.outcome,
          dryRun: origin.dryRunBy !== undefined,
        })),
      ),
  });
});

describeStopStateContract("FakeStopState", () => {
  const reader = new FakeStopState();
  return Promise.resolve({
    reader,
    set: ({ epoch, active, scopes }) => {
      reader.state = active ? { kind: "active", epoch, scopes } : { kind: "clear", epoch };
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
});

describeBundleEventsContract("FakeBundleEvents", () => {
  const events = new FakeBundleEvents();
  // The fake keeps two lists; interleave them by time, as one stream would hold them.
  return Promise.resolve({
    events,
    recorded: () =>
      Promise.resolve(
        [
          ...events.activations.map((e) => ({
            kind: "activated" as const,
            digest: e.digest,
            previousDigest: e.previousDigest,
            ruleCount: e.ruleCount,
            at: e.at.toISOString(),
          })),
          ...events.rejections.map((e) => ({
            kind: "rejected" as const,
            digest: e.digest,
            activeDigest: e.activeDigest,
            issues: e.issues.map(({ file, line, field, reason }) => ({ file, line, field, reason })),
            at: e.at.toISOString(),
          })),
        ].sort((a, b) => a.at.localeCompare(b.at)),
      ),
  });
});

describeUsageViewContract("FakeUsageView", (agentIds) => {
  const view = new FakeUsageView();
  view.track(agentIds);
  const none = () => Promise.resolve();
  return Promise.resolve({
    view,
    caughtUp: none,
    record: none, // the fake has no stream: its own decisions never come back
    fromAnotherReplica: ({ decision, request }) => {
      const at = Date.parse(decision.evaluatedAt);
      view.ledger.fold(
        {
          key: `${decision.agentId}/${decision.actionId}`,
          idempotent: false,
          agentId: decision.agentId,
          outcome: decision.outcome,
          at,
          amount: request.amount,
          currency: request.currency,
        },
        "stream",
        at,
      );
      return Promise.resolve();
    },
    settle: none,
    close: none,
  });
});
