import { describe, expect, it } from "vitest";
import { evaluate, observe, openAnalysis, phaseOf, windowEndsAt } from "./analysis.ts";
import type { AnalysisState, Finding, Observation } from "./analysis.ts";
import { parseRollbackPolicy, RollbackPolicyError } from "./rollback-policy.ts";
import type { RollbackPolicy, TriggerKind } from "./rollback-policy.ts";
import { deployment, examplePolicy, healthy, MINUTE, obs, SECOND, series, T0 } from "../testing/fixtures.ts";

/** The example policy with only the triggers of these kinds. */
function only(kind: TriggerKind, overrides: Partial<RollbackPolicy> = {}): RollbackPolicy {
  const policy = examplePolicy(overrides);
  return { ...policy, triggers: policy.triggers.filter((t) => t.kind === kind) };
}

/** Feeds observations one by one, evaluating after each at its receipt time, then at `clock`. */
function run(
  policy: RollbackPolicy,
  observations: Observation[],
  clock?: number,
): { state: AnalysisState; findings: Finding[] } {
  const state = openAnalysis(deployment());
  const findings: Finding[] = [];
  for (const o of observations) {
    observe(state, o);
    findings.push(...evaluate(state, policy, o.receivedAt));
  }
  if (clock !== undefined) findings.push(...evaluate(state, policy, clock));
  return { state, findings };
}

const fail = (at: number, detail = "GET /healthz 503"): Observation =>
  obs("health", at, { passed: false, detail });
const pass = (at: number): Observation => obs("health", at, { passed: true });

describe("the example policy (governance/rollback.yaml)", () => {
  it("reproduces the source material's triggers", () => {
    const policy = examplePolicy();
    expect(policy.triggers.map((t) => [t.name, t.kind, t.action])).toEqual([
      ["health-check-failures", "health", "rollback"],
      ["error-rate-increase", "error_rate", "rollback"],
      ["latency-p99-increase", "latency", "rollback"],
      ["security-scan-failed", "security_scan", "rollback"],
      ["low-agent-confidence", "confidence", "escalate"],
    ]);
    expect(policy.verification.timeout).toBe(5 * MINUTE);
    expect(policy.incident.reviewDue).toBe(48 * 60 * MINUTE);
  });

  it("refuses a misspelt key, naming it", () => {
    expect(() =>
      parseRollbackPolicy({ rollback: { triggers: [{ name: "x", kind: "health", consecutiveFailure: 3 }] } }),
    ).toThrow(/rollback\.triggers\.0/);
  });

  it("refuses duplicate trigger names", () => {
    const trigger = { name: "h", kind: "health", consecutiveFailures: 3 };
    try {
      parseRollbackPolicy({ rollback: { triggers: [trigger, trigger] } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RollbackPolicyError);
      expect((err as RollbackPolicyError).issues).toEqual([
        { field: "rollback.triggers.1.name", reason: 'duplicate trigger name "h"' },
      ]);
    }
  });

  it("refuses a policy without triggers and a bad duration", () => {
    expect(() => parseRollbackPolicy({ rollback: { triggers: [] } })).toThrow(/at least one trigger/);
    expect(() =>
      parseRollbackPolicy({
        rollback: {
          analysisWindow: "soon",
          triggers: [{ name: "h", kind: "health", consecutiveFailures: 3 }],
        },
      }),
    ).toThrow(/rollback\.analysisWindow: must be a duration/);
  });
});

describe("health-check failures ≥ 3 consecutive", () => {
  const policy = only("health");

  it("fires on the third consecutive failure, at its event time", () => {
    const { findings } = run(policy, [pass(0), fail(30 * SECOND), fail(60 * SECOND), fail(90 * SECOND)]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      trigger: "health-check-failures",
      verdict: "fired",
      action: "rollback",
      observed: 3,
      threshold: 3,
      at: T0 + 90 * SECOND,
    });
    expect(findings[0]?.reason).toContain("3 consecutive health checks failed");
  });

  it("control: 2 failures, a pass, 2 failures never fire", () => {
    const { findings } = run(policy, [
      fail(0),
      fail(30 * SECOND),
      pass(60 * SECOND),
      fail(90 * SECOND),
      fail(120 * SECOND),
    ]);
    expect(findings).toEqual([]);
  });

  it("orders by event time: out-of-order arrival of 3 failures still fires", () => {
    const f1 = { ...fail(60 * SECOND, "a"), receivedAt: T0 + 82 * SECOND };
    const f2 = { ...fail(70 * SECOND, "b"), receivedAt: T0 + 83 * SECOND };
    const f3 = { ...fail(80 * SECOND, "c"), receivedAt: T0 + 81 * SECOND };
    const { findings } = run(policy, [pass(0), f3, f1, f2]);
    expect(findings.map((f) => [f.verdict, f.at])).toEqual([["fired", T0 + 80 * SECOND]]);
  });

  it("orders by event time: a pass observed between failures breaks the run, even if it arrives after them", () => {
    const latePass = { ...pass(60 * SECOND), receivedAt: T0 + 92 * SECOND };
    const { findings } = run(policy, [fail(30 * SECOND), fail(90 * SECOND), latePass, fail(95 * SECOND)]);
    expect(findings).toEqual([]);
  });

  it("control: without that pass the same failures fire", () => {
    const { findings } = run(policy, [fail(30 * SECOND), fail(90 * SECOND), fail(95 * SECOND)]);
    expect(findings.map((f) => f.verdict)).toEqual(["fired"]);
  });

  it("a duplicate failure (same id) counts once", () => {
    const f = fail(30 * SECOND);
    const state = openAnalysis(deployment());
    expect(observe(state, f)).toBe(true);
    expect(observe(state, f)).toBe(false);
    expect(observe(state, f)).toBe(false);
    expect(evaluate(state, policy, f.receivedAt)).toEqual([]);
  });

  it("silence longer than maxSignalGap is inconclusive (escalate), never a rollback", () => {
    const { findings } = run(
      policy,
      healthy(0, 60 * SECOND),
      T0 + 60 * SECOND + policy.maxSignalGap + policy.maxLateness + 1,
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ verdict: "inconclusive", action: "escalate" });
    expect(findings[0]?.reason).toMatch(/no timely health check/);
  });

  it("control: checks every 30 s are never inconclusive", () => {
    const { findings } = run(policy, healthy(0, 10 * MINUTE), T0 + 10 * MINUTE);
    expect(findings).toEqual([]);
  });

  it("late failures do not count toward a rollback", () => {
    const lateFails = [30, 60, 90].map((s) => ({
      ...fail(s * SECOND),
      receivedAt: T0 + s * SECOND + 2 * MINUTE,
    }));
    const { findings } = run(policy, [pass(0), ...lateFails]);
    expect(findings.filter((f) => f.verdict === "fired")).toEqual([]);
  });

  it("fires at most once", () => {
    const { findings } = run(policy, [
      fail(0),
      fail(10 * SECOND),
      fail(20 * SECOND),
      fail(30 * SECOND),
      fail(40 * SECOND),
    ]);
    expect(findings).toHaveLength(1);
  });
});

describe("error rate up ≥ 10 % over 5 min vs baseline", () => {
  const policy = only("error_rate");
  const every = 10 * SECOND;

  it("fires when the first full 5-minute window closes with a 10 % rise", () => {
    const { findings } = run(
      policy,
      series("error_rate", 0, 6 * MINUTE, every, () => 0.011, 0.01),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      verdict: "fired",
      action: "rollback",
      threshold: 0.1,
      at: T0 + 5 * MINUTE,
    });
    expect(findings[0]?.baseline).toBeCloseTo(0.01);
    expect(findings[0]?.observed).toBeCloseTo(0.011);
  });

  it("control: a 9 % rise never fires", () => {
    const { findings } = run(
      policy,
      series("error_rate", 0, 20 * MINUTE, every, () => 0.0109, 0.01),
    );
    expect(findings).toEqual([]);
  });

  it("a regression that starts later fires once the window average crosses the threshold", () => {
    const samples = series(
      "error_rate",
      0,
      20 * MINUTE,
      every,
      (t) => (t >= 10 * MINUTE ? 0.02 : 0.01),
      0.01,
    );
    const { findings } = run(policy, samples);
    expect(findings).toHaveLength(1);
    const at = findings[0]?.at ?? 0;
    expect(at).toBeGreaterThan(T0 + 10 * MINUTE);
    expect(at).toBeLessThan(T0 + 11 * MINUTE);
  });

  it("a short spike inside a healthy window is averaged out", () => {
    const samples = series(
      "error_rate",
      0,
      20 * MINUTE,
      every,
      (t) => (t === 8 * MINUTE ? 0.02 : 0.01),
      0.01,
    );
    expect(run(policy, samples).findings).toEqual([]);
  });

  it("a baseline of 0 uses the floor (0.001) instead of dividing by zero", () => {
    const { findings } = run(
      policy,
      series("error_rate", 0, 6 * MINUTE, every, () => 0.0011, 0),
    );
    expect(findings[0]).toMatchObject({ verdict: "fired", baseline: 0 });
    expect(
      run(
        policy,
        series("error_rate", 0, 6 * MINUTE, every, () => 0.00105, 0),
      ).findings,
    ).toEqual([]);
  });

  it("missing samples are inconclusive once the window closes, never a rollback", () => {
    const { findings } = run(
      policy,
      series("error_rate", 0, 60 * SECOND, every, () => 0.5, 0.01),
      T0 + 7 * MINUTE,
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      verdict: "inconclusive",
      action: "escalate",
      observed: 0,
      threshold: 3,
    });
  });

  it("no samples at all are inconclusive; before the first window closes they are not", () => {
    expect(run(policy, [], T0 + 5 * MINUTE).findings).toEqual([]);
    const { findings } = run(policy, [], T0 + 5 * MINUTE + policy.maxLateness + 1);
    expect(findings.map((f) => f.verdict)).toEqual(["inconclusive"]);
  });

  it("samples without a baseline cannot be compared: inconclusive", () => {
    const samples = series("error_rate", 0, 6 * MINUTE, every, () => 0.5, 0).map((o) => ({
      ...o,
      baseline: undefined,
    }));
    const { findings } = run(policy, samples, T0 + 8 * MINUTE);
    expect(findings.map((f) => f.verdict)).toEqual(["inconclusive"]);
  });

  it("late samples are ignored: a late regression is inconclusive, not a rollback", () => {
    const samples = series("error_rate", 0, 6 * MINUTE, every, () => 0.5, 0.01).map((o) => ({
      ...o,
      receivedAt: o.observedAt + 5 * MINUTE,
    }));
    const { findings } = run(policy, samples, T0 + 12 * MINUTE);
    expect(findings.map((f) => f.verdict)).toEqual(["inconclusive"]);
    expect(findings[0]?.reason).toMatch(/late sample\(s\) ignored/);
  });

  it("control: samples 30 s late (within maxLateness) still count", () => {
    const samples = series("error_rate", 0, 6 * MINUTE, every, () => 0.5, 0.01).map((o) => ({
      ...o,
      receivedAt: o.observedAt + 30 * SECOND,
    }));
    expect(run(policy, samples).findings.map((f) => f.verdict)).toEqual(["fired"]);
  });

  it("an inconclusive trigger can still fire once data arrives", () => {
    const state = openAnalysis(deployment());
    expect(evaluate(state, policy, T0 + 7 * MINUTE).map((f) => f.verdict)).toEqual(["inconclusive"]);
    for (const o of series("error_rate", 7 * MINUTE, 12 * MINUTE, every, () => 0.5, 0.01)) observe(state, o);
    expect(evaluate(state, policy, T0 + 12 * MINUTE).map((f) => f.verdict)).toEqual(["fired"]);
    expect(evaluate(state, policy, T0 + 20 * MINUTE)).toEqual([]);
  });

  it("samples before the deployment started or after the analysis window are not judged", () => {
    const before = series("error_rate", -10 * MINUTE, -SECOND, every, () => 0.5, 0.01);
    const after = series("error_rate", 31 * MINUTE, 40 * MINUTE, every, () => 0.5, 0.01);
    const { findings } = run(policy, [
      ...before,
      ...series("error_rate", 0, 30 * MINUTE, every, () => 0.01, 0.01),
      ...after,
    ]);
    expect(findings).toEqual([]);
  });
});

describe("p99 latency up ≥ 50 % over 5 min", () => {
  const policy = only("latency");
  it("fires at 50 %", () => {
    const { findings } = run(
      policy,
      series("latency", 0, 6 * MINUTE, 10 * SECOND, () => 300, 200),
    );
    expect(findings[0]).toMatchObject({
      trigger: "latency-p99-increase",
      verdict: "fired",
      observed: 300,
      baseline: 200,
    });
  });
  it("control: 49 % never fires", () => {
    expect(
      run(
        policy,
        series("latency", 0, 20 * MINUTE, 10 * SECOND, () => 298, 200),
      ).findings,
    ).toEqual([]);
  });
});

describe("security scan failed with critical or high", () => {
  const policy = only("security_scan");
  it.each(["critical", "high"])("fires on a failed scan with %s findings", (severity) => {
    const { findings } = run(policy, [
      obs("security_scan", MINUTE, { passed: false, severity, detail: "CVE-2026-1234" }),
    ]);
    expect(findings[0]).toMatchObject({ verdict: "fired", action: "rollback" });
    expect(findings[0]?.reason).toContain(severity);
  });
  it.each(["medium", "low"])("control: a failed scan with only %s findings does not fire", (severity) => {
    expect(run(policy, [obs("security_scan", MINUTE, { passed: false, severity })]).findings).toEqual([]);
  });
  it("control: a passed scan does not fire", () => {
    expect(
      run(policy, [obs("security_scan", MINUTE, { passed: true, severity: "critical" })]).findings,
    ).toEqual([]);
  });
  it("a failed scan without a severity is inconclusive", () => {
    expect(
      run(policy, [obs("security_scan", MINUTE, { passed: false })]).findings.map((f) => f.verdict),
    ).toEqual(["inconclusive"]);
  });
  it("no scan at all is no gap", () => {
    expect(run(policy, [], T0 + 29 * MINUTE).findings).toEqual([]);
  });
});

describe("agent confidence < 0.5 → escalate", () => {
  const policy = only("confidence");
  it("escalates below 0.5", () => {
    const { findings } = run(policy, [obs("confidence", MINUTE, { value: 0.49, source: "deploy-bot" })]);
    expect(findings[0]).toMatchObject({
      verdict: "fired",
      action: "escalate",
      observed: 0.49,
      threshold: 0.5,
    });
  });
  it("control: 0.5 does not", () => {
    expect(run(policy, [obs("confidence", MINUTE, { value: 0.5 })]).findings).toEqual([]);
  });
});

describe("dry run", () => {
  it("reports a finding flagged dryRun", () => {
    const base = only("health");
    const policy = { ...base, triggers: base.triggers.map((t) => ({ ...t, dryRun: true })) };
    const { findings } = run(policy, [fail(0), fail(10 * SECOND), fail(20 * SECOND)]);
    expect(findings[0]).toMatchObject({ verdict: "fired", dryRun: true });
  });
});

describe("order independence (a rebuilt state decides what the live state decided)", () => {
  it("gives the same findings for shuffled deliveries with duplicates", () => {
    const policy = examplePolicy();
    const stream = [
      ...healthy(0, 12 * MINUTE),
      ...series("error_rate", 0, 12 * MINUTE, 10 * SECOND, (t) => (t > 6 * MINUTE ? 0.03 : 0.01), 0.01),
      ...series("latency", 0, 12 * MINUTE, 10 * SECOND, () => 200, 200),
    ];
    const live = run(
      policy,
      [...stream].sort((a, b) => a.receivedAt - b.receivedAt),
      T0 + 12 * MINUTE,
    );
    let seed = 7;
    const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 5; round++) {
      const shuffled = [...stream, ...stream.slice(0, 40)].sort(() => random() - 0.5);
      const state = openAnalysis(deployment());
      for (const o of shuffled) observe(state, o);
      const rebuilt = evaluate(state, policy, T0 + 12 * MINUTE);
      expect(rebuilt.map((f) => [f.trigger, f.verdict, f.at])).toEqual(
        live.findings.map((f) => [f.trigger, f.verdict, f.at]),
      );
    }
    expect(live.findings.map((f) => f.trigger)).toEqual(["error-rate-increase"]);
  });
});

describe("phase and window", () => {
  const policy = examplePolicy();
  it("monitors until the analysis window ends, then is stable", () => {
    const state = openAnalysis(deployment());
    expect(windowEndsAt(state, policy)).toBe(T0 + 30 * MINUTE);
    expect(phaseOf(state, policy, T0 + 29 * MINUTE)).toBe("monitoring");
    expect(phaseOf(state, policy, T0 + 31 * MINUTE)).toBe("stable");
  });
  it("completion extends the window by the longest metric window", () => {
    const state = openAnalysis(deployment());
    state.completedAt = T0 + 28 * MINUTE;
    expect(windowEndsAt(state, policy)).toBe(T0 + 33 * MINUTE);
  });
  it("an escalation or a rollback shows in the phase", () => {
    const state = openAnalysis(deployment());
    observe(state, obs("confidence", MINUTE, { value: 0.1 }));
    evaluate(state, policy, T0 + MINUTE);
    expect(phaseOf(state, policy, T0 + MINUTE)).toBe("escalated");
    state.rollback = { workflowId: "rollback-dep-1", trigger: "manual", since: T0 };
    expect(phaseOf(state, policy, T0 + MINUTE)).toBe("rolling_back");
    state.result = "verification_failed";
    expect(phaseOf(state, policy, T0 + MINUTE)).toBe("rollback_failed");
  });
});
