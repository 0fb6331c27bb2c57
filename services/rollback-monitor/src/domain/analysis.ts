// Per-deployment analysis: the observations of one deployment, judged against the rollback policy's
// triggers on event time (each observation's `observedAt`), never on the time a test or a replay
// runs. `evaluate` is pure apart from appending to the state's findings: the same observations in
// any order, delivered once or twice, give the same findings, so a state rebuilt from the stream after
// a restart decides what the live state decided.
//
// Missing or late data is never a rollback: a window short of timely samples, a silent health check
// or a failed scan without a severity is *inconclusive*, which escalates to humans.
import type { RollbackPolicy, Trigger } from "./rollback-policy.ts";

export type SignalKindName = "health" | "error_rate" | "latency" | "security_scan" | "confidence";
export type RolloutStrategy = "blue-green" | "canary" | "rolling";
export type EnvironmentName = "development" | "staging" | "production" | "unspecified";

export interface Deployment {
  deploymentId: string;
  actionId?: string | undefined;
  agentId?: string | undefined;
  service: string;
  environment: EnvironmentName;
  version: string;
  previousVersion?: string | undefined;
  strategy: RolloutStrategy;
  baselineRef?: string | undefined;
  /** Event time (ms since the epoch). */
  startedAt: number;
}

export interface Observation {
  /** Unique per observation (the envelope id): a duplicate is ignored. */
  id: string;
  kind: SignalKindName;
  value?: number | undefined;
  baseline?: number | undefined;
  passed?: boolean | undefined;
  severity?: string | undefined;
  detail?: string | undefined;
  source?: string | undefined;
  observedAt: number;
  /** When the monitor's stream received it (ms); with observedAt, decides lateness. */
  receivedAt: number;
}

export type Verdict = "fired" | "inconclusive";
export type FindingAction = "rollback" | "escalate";

export interface Finding {
  trigger: string;
  kind: SignalKindName | "manual";
  verdict: Verdict;
  /** What acting on it means: a fired rollback trigger rolls back; everything else escalates. */
  action: FindingAction;
  dryRun: boolean;
  observed?: number | undefined;
  baseline?: number | undefined;
  threshold?: number | undefined;
  reason: string;
  /** Event time of the finding: the deciding observation's, or the clock's for missing data. */
  at: number;
}

export interface AnalysisState {
  deployment: Deployment;
  completedAt?: number | undefined;
  completedOk?: boolean | undefined;
  observations: Observation[];
  seen: Set<string>;
  findings: Finding[];
  /** Triggers whose finding was already acted on (its event is in the stream). */
  acted: Set<string>;
  /** The rollback workflow, once one started; `since` is the trigger's event time. */
  rollback?: { workflowId: string; trigger: string; since: number } | undefined;
  result?: "succeeded" | "failed" | "verification_failed" | undefined;
}

export function openAnalysis(deployment: Deployment): AnalysisState {
  return { deployment, observations: [], seen: new Set(), findings: [], acted: new Set() };
}

/** End of the analysis window: `analysisWindow` after the start, at least a metric window after completion. */
export function windowEndsAt(state: AnalysisState, policy: RollbackPolicy): number {
  const fromStart = state.deployment.startedAt + policy.analysisWindow;
  if (state.completedAt === undefined) return fromStart;
  const longest = Math.max(0, ...policy.triggers.map((t) => ("window" in t ? t.window : 0)));
  return Math.max(fromStart, state.completedAt + longest);
}

/** Adds an observation; false when it was a duplicate (same id). */
export function observe(state: AnalysisState, observation: Observation): boolean {
  if (state.seen.has(observation.id)) return false;
  state.seen.add(observation.id);
  state.observations.push(observation);
  return true;
}

export function isLate(observation: Observation, policy: RollbackPolicy): boolean {
  return (
    observation.receivedAt - observation.observedAt > policy.maxLateness ||
    // From the future (a clock far ahead): it cannot be placed in a window either.
    observation.observedAt - observation.receivedAt > policy.maxLateness
  );
}

function timely(state: AnalysisState, policy: RollbackPolicy, kind: SignalKindName): Observation[] {
  const end = windowEndsAt(state, policy);
  return state.observations
    .filter(
      (o) =>
        o.kind === kind &&
        !isLate(o, policy) &&
        o.observedAt >= state.deployment.startedAt &&
        o.observedAt <= end,
    )
    .sort((a, b) => a.observedAt - b.observedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const iso = (ms: number): string => new Date(ms).toISOString();
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

function has(state: AnalysisState, trigger: string, verdict: Verdict): boolean {
  return state.findings.some((f) => f.trigger === trigger && f.verdict === verdict);
}

/**
 * Judges the state at clock time `now` (event time: the receipt time of the message being applied,
 * or the monitor's clock on a tick). Returns the new findings (also appended to `state.findings`):
 * per trigger at most one `fired` and one `inconclusive`.
 */
export function evaluate(state: AnalysisState, policy: RollbackPolicy, now: number): Finding[] {
  const found: Finding[] = [];
  for (const trigger of policy.triggers) {
    if (has(state, trigger.name, "fired")) continue;
    const fired = judge(state, policy, trigger);
    if (fired !== undefined) {
      found.push(fired);
      continue;
    }
    if (has(state, trigger.name, "inconclusive")) continue;
    const missing = missingData(state, policy, trigger, now);
    if (missing !== undefined) found.push(missing);
  }
  state.findings.push(...found);
  return found;
}

function finding(
  trigger: Trigger,
  verdict: Verdict,
  fields: Omit<Finding, "trigger" | "kind" | "verdict" | "action" | "dryRun">,
): Finding {
  return {
    trigger: trigger.name,
    kind: trigger.kind,
    verdict,
    action: verdict === "fired" ? trigger.action : "escalate",
    dryRun: trigger.dryRun,
    ...fields,
  };
}

/** A trigger's firing condition over the timely observations, or undefined. */
function judge(state: AnalysisState, policy: RollbackPolicy, trigger: Trigger): Finding | undefined {
  switch (trigger.kind) {
    case "health": {
      let run = 0;
      for (const o of timely(state, policy, "health")) {
        run = o.passed === true ? 0 : run + 1;
        if (run >= trigger.consecutiveFailures) {
          return finding(trigger, "fired", {
            observed: run,
            threshold: trigger.consecutiveFailures,
            reason: `${run} consecutive health checks failed (threshold ${trigger.consecutiveFailures})${o.detail ? `: ${o.detail}` : ""}`,
            at: o.observedAt,
          });
        }
      }
      return undefined;
    }
    case "error_rate":
    case "latency": {
      const samples = timely(state, policy, trigger.kind).filter(
        (o) => o.value !== undefined && o.baseline !== undefined,
      );
      // Slide the window over every sample's time: the first window that closes with a regression
      // fires. Two pointers keep it linear.
      let left = 0;
      let sumValue = 0;
      let sumBaseline = 0;
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i] as Observation;
        const end = sample.observedAt;
        sumValue += sample.value ?? 0;
        sumBaseline += sample.baseline ?? 0;
        while ((samples[left] as Observation).observedAt <= end - trigger.window) {
          sumValue -= samples[left]?.value ?? 0;
          sumBaseline -= samples[left]?.baseline ?? 0;
          left++;
        }
        const count = i - left + 1;
        if (end - state.deployment.startedAt < trigger.window || count < trigger.minSamples) continue;
        const observed = sumValue / count;
        const rawBaseline = sumBaseline / count;
        const baseline = Math.max(rawBaseline, trigger.baselineFloor);
        if (baseline <= 0) continue;
        const increase = (observed - baseline) / baseline;
        // A hair of tolerance: 0.11 / 0.10 - 1 is 0.0999… in binary floating point.
        if (increase >= trigger.increase - 1e-9) {
          return finding(trigger, "fired", {
            observed,
            baseline: rawBaseline,
            threshold: trigger.increase,
            reason: `${trigger.kind === "latency" ? "p99 latency" : "error rate"} up ${pct(increase)} over the ${trigger.window / 1_000}s window ending ${iso(end)} vs baseline (threshold ${pct(trigger.increase)}; ${count} samples)`,
            at: end,
          });
        }
      }
      return undefined;
    }
    case "security_scan": {
      for (const o of timely(state, policy, "security_scan")) {
        if (o.passed === true) continue;
        if (o.severity !== undefined && (trigger.severities as string[]).includes(o.severity)) {
          return finding(trigger, "fired", {
            reason: `security scan failed with ${o.severity} findings${o.detail ? `: ${o.detail}` : ""}`,
            at: o.observedAt,
          });
        }
      }
      return undefined;
    }
    case "confidence": {
      for (const o of timely(state, policy, "confidence")) {
        if (o.value !== undefined && o.value < trigger.below) {
          return finding(trigger, "fired", {
            observed: o.value,
            threshold: trigger.below,
            reason: `agent confidence ${o.value} is below ${trigger.below}${o.source ? ` (${o.source})` : ""}`,
            at: o.observedAt,
          });
        }
      }
      return undefined;
    }
  }
}

/** Missing or late data for a trigger at clock time `now`: an inconclusive finding, or undefined. */
function missingData(
  state: AnalysisState,
  policy: RollbackPolicy,
  trigger: Trigger,
  now: number,
): Finding | undefined {
  const start = state.deployment.startedAt;
  const end = windowEndsAt(state, policy);
  // What the monitor can know by now: observations up to `horizon` may still arrive in time.
  const horizon = Math.min(now - policy.maxLateness, end);
  const lateCount = state.observations.filter((o) => o.kind === trigger.kind && isLate(o, policy)).length;
  const lateNote = lateCount > 0 ? `; ${lateCount} late sample(s) ignored` : "";
  switch (trigger.kind) {
    case "health": {
      if (horizon - start < policy.maxSignalGap) return undefined;
      const checks = timely(state, policy, "health").filter((o) => o.observedAt <= horizon);
      const last = checks.at(-1)?.observedAt ?? start;
      if (horizon - last <= policy.maxSignalGap) return undefined;
      return finding(trigger, "inconclusive", {
        reason: `no timely health check between ${iso(last)} and ${iso(horizon)} (max gap ${policy.maxSignalGap / 1_000}s)${lateNote}`,
        at: horizon,
      });
    }
    case "error_rate":
    case "latency": {
      if (horizon - start < trigger.window) return undefined;
      const inWindow = timely(state, policy, trigger.kind).filter(
        (o) =>
          o.observedAt > horizon - trigger.window &&
          o.observedAt <= horizon &&
          o.value !== undefined &&
          o.baseline !== undefined,
      );
      if (inWindow.length >= trigger.minSamples) return undefined;
      return finding(trigger, "inconclusive", {
        observed: inWindow.length,
        threshold: trigger.minSamples,
        reason: `${inWindow.length} timely ${trigger.kind} sample(s) with a baseline in the ${trigger.window / 1_000}s window ending ${iso(horizon)}; ${trigger.minSamples} needed${lateNote}`,
        at: horizon,
      });
    }
    case "security_scan": {
      const unknown = timely(state, policy, "security_scan").find(
        (o) => o.passed !== true && o.severity === undefined,
      );
      if (unknown === undefined) return undefined;
      return finding(trigger, "inconclusive", {
        reason: `security scan failed without a severity${unknown.detail ? `: ${unknown.detail}` : ""}`,
        at: unknown.observedAt,
      });
    }
    case "confidence":
      // Confidence is reported when an agent has one; its absence is no gap.
      return undefined;
  }
}

export type PhaseName =
  "monitoring" | "stable" | "rolling_back" | "rolled_back" | "rollback_failed" | "escalated";

export function phaseOf(state: AnalysisState, policy: RollbackPolicy, now: number): PhaseName {
  if (state.result === "succeeded") return "rolled_back";
  if (state.result !== undefined) return "rollback_failed";
  if (state.rollback !== undefined) return "rolling_back";
  if (state.findings.some((f) => !f.dryRun && f.action === "escalate")) return "escalated";
  return now <= windowEndsAt(state, policy) ? "monitoring" : "stable";
}

/** The latest observation per kind (by event time), for status views. */
export function latestSignals(state: AnalysisState): Observation[] {
  const latest = new Map<SignalKindName, Observation>();
  for (const o of state.observations) {
    const current = latest.get(o.kind);
    if (current === undefined || o.observedAt >= current.observedAt) latest.set(o.kind, o);
  }
  return [...latest.values()];
}

/** The rollback strategy for a deployment's rollout strategy. */
export function rollbackStrategy(policy: RollbackPolicy, strategy: RolloutStrategy): string {
  return policy.strategies[strategy];
}
