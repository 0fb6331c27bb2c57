// The in-memory fakes against their contracts; test/decision-sink-contract.test.ts runs the same
// suites against the NATS adapters.
import { describeDecisionSinkContract } from "../../testing/decision-sink-contract.ts";
import { describeStopStateContract } from "../../testing/stop-state-contract.ts";
import { FakeDecisionSink, FakeStopState } from "./fake-ports.ts";

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
      reader.state = active ? { kind: "active", epoch, scopes } : { kind: "clear" };
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
});
