// The in-memory fakes against their contracts; test/decision-sink-contract.test.ts runs the same
// suites against the NATS adapters.
import { describeDecisionSinkContract } from "../../testing/decision-sink-contract.ts";
import { FakeDecisionSink } from "./fake-ports.ts";

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
