// Dry runs are counted apart from the agent's decisions, so they never feed the decision rates.
import { Registry } from "prom-client";
import { createMetricsRegistry } from "@warden/telemetry";
import { describe, expect, it } from "vitest";
import type { Decision } from "../domain/decision.ts";
import { STOP_CLEAR } from "../domain/stop-state.ts";
import { FakeDecisionSink } from "./fakes/fake-ports.ts";
import { createPolicyMetrics, decisionRecordGroups, instrumentDecisions } from "./metrics.ts";

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

function setup() {
  const registry = createMetricsRegistry({ service: "policy", defaultMetrics: false });
  const state = {
    digest: "sha256:aa",
    stop: "clear" as "clear" | "active" | "unknown",
    confirmedAt: 10_000 as number | undefined,
    now: 12_500,
  };
  const metrics = createPolicyMetrics(registry, {
    activeDigest: () => state.digest,
    stopKind: () => state.stop,
    stopConfirmedAt: () => state.confirmedAt,
    leaseMs: 5_000,
    now: () => state.now,
  });
  const lines = async () => (await registry.metrics()).split("\n").filter((l) => !l.startsWith("#"));
  return { metrics, state, lines };
}

describe("createPolicyMetrics", () => {
  it("reports the active digest only, the stop state one-hot, and the confirmation's age when scraped", async () => {
    const { state, lines } = setup();
    expect(await lines()).toEqual(
      expect.arrayContaining([
        'warden_policy_bundle_info{digest="sha256:aa",service="policy"} 1',
        'warden_killswitch_state{state="clear",service="policy"} 1',
        'warden_killswitch_state{state="active",service="policy"} 0',
        'warden_killswitch_state{state="unknown",service="policy"} 0',
        'warden_killswitch_confirmation_age_seconds{service="policy"} 2.5',
        'warden_killswitch_lease_seconds{service="policy"} 5',
      ]),
    );
    state.digest = "sha256:bb";
    state.stop = "unknown";
    state.confirmedAt = undefined;
    const after = await lines();
    expect(after.filter((l) => l.startsWith("warden_policy_bundle_info"))).toEqual([
      'warden_policy_bundle_info{digest="sha256:bb",service="policy"} 1',
    ]);
    expect(after).toContain('warden_killswitch_state{state="unknown",service="policy"} 1');
    expect(after).toContain('warden_killswitch_state{state="clear",service="policy"} 0');
    // unreadable / never confirmed: infinitely old (never a made-up 0)
    expect(after).toContain('warden_killswitch_confirmation_age_seconds{service="policy"} +Inf');
  });

  it("counts invalid messages, reloads and decisions; a decision timed from a clock ahead counts as 0", async () => {
    const { metrics, lines } = setup();
    metrics.invalid("nats", "schema");
    metrics.reloaded("rejected");
    metrics.decided("nats", -3);
    metrics.decided("rpc", Number.NaN);
    const text = await lines();
    expect(text).toContain(
      'warden_policy_invalid_messages_total{path="nats",reason="schema",service="policy"} 1',
    );
    expect(text).toContain('warden_policy_bundle_reloads_total{result="rejected",service="policy"} 1');
    expect(text).toContain('warden_policy_decision_seconds_count{service="policy",path="nats"} 1');
    expect(text).toContain('warden_policy_decision_seconds_sum{service="policy",path="nats"} 0');
    expect(text.some((l) => l.includes('path="rpc"'))).toBe(false);
  });
});

describe("decisionRecordGroups", () => {
  it("observes each group's size", async () => {
    const registry = new Registry();
    const observe = decisionRecordGroups(registry);
    observe(1);
    observe(40);
    const text = await registry.metrics();
    expect(text).toContain("warden_policy_decision_record_group_size_count 2");
    expect(text).toContain("warden_policy_decision_record_group_size_sum 41");
    expect(text).toContain('warden_policy_decision_record_group_size_bucket{le="1"} 1');
    expect(text).toContain('warden_policy_decision_record_group_size_bucket{le="64"} 2');
  });
});
