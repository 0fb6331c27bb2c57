// Dry runs are counted apart from the agent's decisions, so they never feed the decision rates.
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { Decision } from "../domain/decision.ts";
import { STOP_CLEAR } from "../domain/stop-state.ts";
import { FakeDecisionSink } from "./fakes/fake-ports.ts";
import { instrumentDecisions } from "./metrics.ts";

const decision: Decision = {
  actionId: "a1",
  agentId: "bot",
  outcome: "allow",
  riskLevel: "low",
  matched: [],
  reasons: [],
  bundleDigest: "sha256:00",
  evaluatedAt: "2026-03-10T10:00:00.000Z",
  evalDurationNs: 1_000,
};
const request = { actionId: "a1", agentId: "bot", action: "pay" };

async function counted(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

describe("instrumentDecisions", () => {
  it("counts the agent's decisions and dry runs apart, and records both", async () => {
    const registry = new Registry();
    const sink = new FakeDecisionSink();
    const instrumented = instrumentDecisions(sink, registry);
    await instrumented.decided(decision, request, { authenticatedAgentId: "bot" }, STOP_CLEAR);
    const alice = { type: "human", id: "alice", roles: ["policy-author"] } as const;
    for (let i = 0; i < 3; i++)
      await instrumented.decided(
        decision,
        request,
        { authenticatedAgentId: "bot", dryRunBy: alice },
        STOP_CLEAR,
      );
    expect(await counted(registry, "warden_policy_decisions_total")).toBe(1);
    expect(await counted(registry, "warden_policy_dry_runs_total")).toBe(3);
    expect(sink.decisions).toHaveLength(4);
  });
});
