// Fixtures for unit and integration tests: the example policy, deployments and observation streams.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { Deployment, Observation, SignalKindName } from "../domain/analysis.ts";
import { parseRollbackPolicy } from "../domain/rollback-policy.ts";
import type { RollbackPolicy } from "../domain/rollback-policy.ts";

export const repoGovernance = join(import.meta.dirname, "..", "..", "..", "..", "governance");

/** governance/rollback.yaml, parsed. */
export function examplePolicy(overrides: Partial<RollbackPolicy> = {}): RollbackPolicy {
  const policy = parseRollbackPolicy(parse(readFileSync(join(repoGovernance, "rollback.yaml"), "utf8")));
  return { ...policy, ...overrides };
}

export const T0 = Date.parse("2026-12-03T10:00:00.000Z");
export const SECOND = 1_000;
export const MINUTE = 60_000;

export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    deploymentId: "dep-1",
    actionId: "act-1",
    agentId: "deploy-bot",
    service: "checkout",
    environment: "production",
    version: "v2.0.0",
    previousVersion: "v1.9.0",
    strategy: "blue-green",
    baselineRef: "blue",
    startedAt: T0,
    ...overrides,
  };
}

let counter = 0;

/** One observation at `at` ms after T0, received when observed unless `receivedAt` says otherwise. */
export function obs(
  kind: SignalKindName,
  at: number,
  fields: Partial<Omit<Observation, "kind" | "observedAt">> = {},
): Observation {
  counter += 1;
  return {
    id: fields.id ?? `obs-${counter}`,
    kind,
    observedAt: T0 + at,
    receivedAt: fields.receivedAt ?? T0 + at,
    ...fields,
  };
}

/** One sample every `everyMs` from `fromMs` to `toMs` (inclusive) with this value and baseline. */
export function series(
  kind: "error_rate" | "latency",
  fromMs: number,
  toMs: number,
  everyMs: number,
  value: (t: number) => number,
  baseline: number,
): Observation[] {
  const out: Observation[] = [];
  for (let t = fromMs; t <= toMs; t += everyMs) out.push(obs(kind, t, { value: value(t), baseline }));
  return out;
}

/** Passing health checks every `everyMs` over [fromMs, toMs]. */
export function healthy(fromMs: number, toMs: number, everyMs = 30 * SECOND): Observation[] {
  const out: Observation[] = [];
  for (let t = fromMs; t <= toMs; t += everyMs) out.push(obs("health", t, { passed: true }));
  return out;
}
