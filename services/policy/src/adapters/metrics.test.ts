import { createMetricsRegistry } from "@warden/telemetry";
import { describe, expect, it } from "vitest";
import { createPolicyMetrics } from "./metrics.ts";

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
