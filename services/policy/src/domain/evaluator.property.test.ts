// Property test: random bundles and random requests, the indexed evaluator against a tiny reference
// evaluator (a naive loop over every rule, no index, no evaluation order, conditions re-implemented
// in plain JS, globs by hand). Outcomes and reported rule lists must be identical; default deny,
// deny-overrides and "shadow never enforces" must always hold.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { fixtureFiles } from "../testing/bundle-fixtures.ts";
import type { ActionRequest } from "./action-request.ts";
import { compileBundle } from "./compile-bundle.ts";
import type { Decision, Effect, Outcome } from "./decision.ts";
import { BUILTIN, createEvaluator } from "./evaluator.ts";
import type { StopScope, StopState } from "./stop-state.ts";
import type { UsageSnapshot } from "./usage.ts";

const BUNDLES = 3_000;
const REQUESTS_PER_BUNDLE = 50;

// --- vocabulary ----------------------------------------------------------------------------------

const ACTIONS = ["pay", "refund", "deploy", "tx.exec", "tx.view", "change.rollback"] as const;
const ENVIRONMENTS = ["dev", "prod"] as const;
const CHANGE_TYPES = ["code", "infra"] as const;
const TOOLS = ["db.read", "db.write", "kb.search"] as const;
const KNOWN_AGENTS = ["bot", "pipeline"] as const; // from the fixture; bot has limits.maxTransactionAmount 1000
const SAFETY_ACTION = "change.rollback"; // the fixture's safetyActions

/** Target patterns and their meaning, written by hand (independent of minimatch). */
const PATTERNS: Readonly<Record<string, (name: string) => boolean>> = {
  pay: (n) => n === "pay",
  refund: (n) => n === "refund",
  deploy: (n) => n === "deploy",
  "tx.exec": (n) => n === "tx.exec",
  "tx.*": (n) => n.startsWith("tx.") && n.length > 3,
  "*.exec": (n) => n.endsWith(".exec") && n.length > 5,
  "*": (n) => n.length > 0 && !n.includes("/"),
  dev: (n) => n === "dev",
  prod: (n) => n === "prod",
  bot: (n) => n === "bot",
  pipeline: (n) => n === "pipeline",
  "pipe*": (n) => n.startsWith("pipe"),
  code: (n) => n === "code",
  infra: (n) => n === "infra",
};

type Verdict = boolean | "error";

interface Condition {
  readonly cel: string | undefined;
  readonly ref: (request: ActionRequest, agentId: string, now: number) => Verdict;
}

const CONDITIONS: ReadonlyArray<(n: number) => Condition> = [
  () => ({ cel: undefined, ref: () => true }),
  () => ({ cel: "true", ref: () => true }),
  () => ({ cel: "false", ref: () => false }),
  (n) => ({ cel: `request.amount > ${n}`, ref: (r) => (r.amount === undefined ? "error" : r.amount > n) }),
  (n) => ({
    cel: `has(request.amount) && request.amount <= ${n}.5`,
    ref: (r) => r.amount !== undefined && r.amount <= n + 0.5,
  }),
  () => ({
    cel: 'request.tool == "db.read"',
    ref: (r) => (r.tool === undefined ? "error" : r.tool === "db.read"),
  }),
  () => ({
    cel: 'has(request.tool) && globMatch(request.tool, "db.*")',
    ref: (r) => r.tool !== undefined && r.tool.startsWith("db."),
  }),
  () => ({
    cel: 'request.environment == "prod"',
    ref: (r) => (r.environment === undefined ? "error" : r.environment === "prod"),
  }),
  (n) => ({
    cel: `agent.limits.maxTransactionAmount >= ${n * 20}.0`,
    ref: (_r, agent) => (agent === "bot" ? 1000 >= n * 20 : "error"),
  }),
  () => ({
    cel: 'inWindow(now, "09:00", "17:00", "UTC")',
    ref: (_r, _a, now) => new Date(now).getUTCHours() >= 9 && new Date(now).getUTCHours() < 17,
  }),
];

// --- generators ----------------------------------------------------------------------------------

interface RuleSpec {
  readonly effect: Effect;
  readonly shadow: boolean;
  readonly actions?: readonly string[];
  readonly environments?: readonly string[];
  readonly agents?: readonly string[];
  readonly changeTypes?: readonly string[];
  readonly condition: Condition;
}

const maybeSubset = (values: readonly string[]) =>
  fc.option(fc.subarray([...values], { minLength: 1 }), { nil: undefined, freq: 2 });

const ruleArb: fc.Arbitrary<RuleSpec> = fc
  .record({
    effect: fc.constantFrom<Effect>(
      "allow",
      "allow",
      "allow",
      "approval_required",
      "approval_required",
      "deny",
    ),
    shadow: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    actions: maybeSubset(["pay", "refund", "deploy", "tx.exec", "tx.*", "*.exec", "*"]),
    environments: maybeSubset(ENVIRONMENTS),
    agents: maybeSubset(["bot", "pipeline", "pipe*"]),
    changeTypes: maybeSubset(CHANGE_TYPES),
    condition: fc
      .tuple(fc.integer({ min: 0, max: CONDITIONS.length - 1 }), fc.integer({ min: 0, max: 100 }))
      .map(([k, n]) => (CONDITIONS[k] ?? CONDITIONS[0])?.(n) as Condition),
  })
  .map(
    (r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as RuleSpec,
  );

interface Case {
  readonly request: ActionRequest;
  readonly authenticatedAgentId: string;
  readonly stopState: StopState;
  /** The fixture's agents have no rate or budget limits: any usage, even unknown, changes nothing. */
  readonly usage: UsageSnapshot;
  readonly now: number;
}

const scopeArb: fc.Arbitrary<StopScope> = fc.oneof(
  fc.constant<StopScope>({ kind: "global" }),
  fc.constantFrom(...ENVIRONMENTS).map((value): StopScope => ({ kind: "environment", value })),
  fc.constantFrom(...KNOWN_AGENTS).map((value): StopScope => ({ kind: "agent", value })),
  fc.constantFrom("payments", "search").map((value): StopScope => ({ kind: "service", value })),
);

const stopArb: fc.Arbitrary<StopState> = fc.oneof(
  { weight: 16, arbitrary: fc.constant<StopState>({ kind: "clear", epoch: 0 }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("active" as const),
      scopes: fc.array(scopeArb, { minLength: 1, maxLength: 2 }),
      epoch: fc.nat(100),
    }),
  },
  { weight: 1, arbitrary: fc.constant<StopState>({ kind: "unknown", reason: "unreadable" }) },
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    agentId: fc.constantFrom("bot", "pipeline", "bot", "pipeline", "bot", "pipeline", "stranger"),
    impostor: fc.integer({ min: 0, max: 29 }),
    action: fc.constantFrom(...ACTIONS),
    environment: fc.option(fc.constantFrom(...ENVIRONMENTS), { nil: undefined }),
    changeType: fc.option(fc.constantFrom(...CHANGE_TYPES), { nil: undefined }),
    service: fc.option(fc.constantFrom("payments", "search"), { nil: undefined }),
    amount: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
    tool: fc.option(fc.constantFrom(...TOOLS), { nil: undefined }),
    stopState: stopArb,
    usage: fc.oneof(
      fc.record({
        state: fc.constant("confirmed" as const),
        requestsLastMinute: fc.nat(10_000),
        committedToday: fc.nat(1_000_000),
      }),
      fc.constant<UsageSnapshot>({ state: "unknown", reason: "not caught up" }),
    ),
    now: fc
      .integer({ min: 0, max: 7 * 24 * 60 - 1 })
      .map((m) => Date.parse("2026-03-09T00:00:00Z") + m * 60_000),
  })
  .map(({ agentId, impostor, stopState, usage, now, ...fields }) => {
    const request = Object.fromEntries(
      Object.entries({ actionId: "a", agentId, ...fields }).filter(([, v]) => v !== undefined),
    ) as unknown as ActionRequest;
    return {
      request,
      authenticatedAgentId: impostor === 0 ? "pipeline" : agentId,
      stopState,
      usage,
      now,
    };
  });

// --- the reference ---------------------------------------------------------------------------------

interface RefMatch {
  readonly ruleId: string;
  readonly effect: Effect;
  readonly shadow: boolean;
}

function targetHits(patterns: readonly string[] | undefined, value: string | undefined): boolean {
  if (patterns === undefined) return true;
  if (value === undefined) return false;
  return patterns.some((p) => (PATTERNS[p] ?? (() => false))(value));
}

function covers(scope: StopScope, c: Case): boolean {
  if (scope.kind === "global") return true;
  if (scope.kind === "environment") return scope.value === c.request.environment;
  if (scope.kind === "agent") return scope.value === c.authenticatedAgentId;
  return scope.value === c.request.service;
}

function reference(rules: readonly RuleSpec[], c: Case): { outcome: Outcome; matched: RefMatch[] } {
  const gate = (ruleId: string) => ({
    outcome: "deny" as const,
    matched: [{ ruleId, effect: "deny" as const, shadow: false }],
  });
  const agent = c.authenticatedAgentId;
  if (c.request.agentId !== agent) return gate(BUILTIN.identityMismatch);
  if (!(KNOWN_AGENTS as readonly string[]).includes(agent)) return gate(BUILTIN.agentUnknown);
  if (c.request.action !== SAFETY_ACTION) {
    if (c.stopState.kind === "unknown") return gate(BUILTIN.stopUnknown);
    if (c.stopState.kind === "active" && c.stopState.scopes.some((s) => covers(s, c)))
      return gate(BUILTIN.stopActive);
  }
  // Every rule, naively.
  const all: (RefMatch & { declared: Effect })[] = [];
  rules.forEach((rule, i) => {
    if (!targetHits(rule.actions, c.request.action)) return;
    if (!targetHits(rule.environments, c.request.environment)) return;
    if (!targetHits(rule.agents, agent)) return;
    if (!targetHits(rule.changeTypes, c.request.changeType)) return;
    const verdict = rule.condition.ref(c.request, agent, c.now);
    if (verdict === false) return;
    all.push({
      ruleId: `r${i}`,
      effect: verdict === "error" ? "deny" : rule.effect,
      shadow: rule.shadow,
      declared: rule.effect,
    });
  });
  const enforced = all.filter((m) => !m.shadow);
  let outcome: Outcome = "deny";
  if (enforced.some((m) => m.effect === "deny")) outcome = "deny";
  else if (enforced.some((m) => m.effect === "approval_required")) outcome = "approval_required";
  else if (enforced.some((m) => m.effect === "allow")) outcome = "allow";
  // What a decision reports: everything, except that a deny reports only what denies (the deny rules
  // that matched; when none did, the rules whose condition failed) plus the shadow rules.
  let kept: (RefMatch & { declared: Effect })[] = all;
  if (outcome === "deny") {
    const byDenyRule = enforced.some((m) => m.declared === "deny");
    kept = all.filter((m) => m.shadow || (byDenyRule ? m.declared === "deny" : m.effect === "deny"));
  }
  const matched: RefMatch[] = kept.map(({ ruleId, effect, shadow }) => ({ ruleId, effect, shadow }));
  if (enforced.length === 0) matched.push({ ruleId: BUILTIN.defaultDeny, effect: "deny", shadow: false });
  return { outcome, matched };
}

function bundleYaml(rules: readonly RuleSpec[]): string {
  return stringify({
    rules: rules.map((r, i) => {
      const match = Object.fromEntries(
        (["actions", "environments", "agents", "changeTypes"] as const)
          .filter((k) => r[k] !== undefined)
          .map((k) => [k, r[k]]),
      );
      return {
        id: `r${i}`,
        effect: r.effect,
        ...(r.shadow ? { mode: "shadow" } : {}),
        match,
        ...(r.condition.cel === undefined ? {} : { when: r.condition.cel }),
        reason: `reason ${i}`,
        ...(r.effect === "approval_required" ? { approval: { workflow: "review" } } : {}),
      };
    }),
  });
}

const strip = (d: Decision): RefMatch[] =>
  d.matched.map(({ ruleId, effect, shadow }) => ({ ruleId, effect, shadow }));

describe("evaluator vs. reference evaluator", () => {
  it(`agrees on ${BUNDLES} random bundles x ${REQUESTS_PER_BUNDLE} random requests`, () => {
    let cases = 0;
    let explained = 0;
    const outcomes: Record<Outcome, number> = { allow: 0, deny: 0, approval_required: 0 };
    const started = performance.now();
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 0, maxLength: 30 }),
        fc.array(caseArb, { minLength: REQUESTS_PER_BUNDLE, maxLength: REQUESTS_PER_BUNDLE }),
        (rules, requestCases) => {
          const evaluator = createEvaluator(compileBundle(fixtureFiles({ "rules.yaml": bundleYaml(rules) })));
          requestCases.forEach((c, i) => {
            cases++;
            const decision = evaluator.evaluate(c.request, {
              authenticatedAgentId: c.authenticatedAgentId,
              stopState: c.stopState,
              usage: c.usage,
              now: c.now,
            });
            const expected = reference(rules, c);
            // Compare cheaply; hand vitest the values only on a difference (for its diff).
            if (
              JSON.stringify(strip(decision)) !== JSON.stringify(expected.matched) ||
              decision.outcome !== expected.outcome
            ) {
              expect({ outcome: decision.outcome, matched: strip(decision) }).toEqual(expected);
            }
            outcomes[decision.outcome]++;

            // Invariants, stated directly on the decision.
            const enforced = decision.matched.filter((m) => !m.shadow);
            const denyOverrides = !enforced.some((m) => m.effect === "deny") || decision.outcome === "deny";
            const defaultDeny =
              enforced.some((m) => m.effect === "allow" || m.effect === "approval_required") ||
              decision.outcome === "deny";
            const allowIsUnanimous =
              decision.outcome !== "allow" || enforced.every((m) => m.effect === "allow");
            if (!(denyOverrides && defaultDeny && allowIsUnanimous && decision.reasons.length > 0)) {
              expect({ denyOverrides, defaultDeny, allowIsUnanimous, reasons: decision.reasons }).toEqual({
                denyOverrides: true,
                defaultDeny: true,
                allowIsUnanimous: true,
                reasons: expect.anything() as unknown,
              });
            }

            // explain() agrees with evaluate() on which rules matched (checked on a sample).
            if (i % 10 === 0) {
              explained++;
              const x = evaluator.explain(c.request, {
                authenticatedAgentId: c.authenticatedAgentId,
                stopState: c.stopState,
                usage: c.usage,
                now: c.now,
              });
              const hit = x.rules
                .filter(
                  (r) => r.kind === "rule" && (r.status === "matched" || r.status === "condition_error"),
                )
                .map((r) => r.ruleId);
              const reported = decision.matched.filter((m) => m.ruleId.startsWith("r")).map((m) => m.ruleId);
              // explain() evaluates everything; a deny decision reports a subset (what denies).
              const agrees =
                decision.outcome === "deny"
                  ? reported.every((id) => hit.includes(id))
                  : hit.join() === reported.join();
              if (!agrees)
                expect({ outcome: decision.outcome, hit }).toEqual({
                  outcome: decision.outcome,
                  hit: reported,
                });
            }
          });
        },
      ),
      { numRuns: BUNDLES },
    );
    const seconds = (performance.now() - started) / 1000;
    expect(cases).toBeGreaterThanOrEqual(100_000);
    // Every outcome must be exercised, or the generators are too narrow to mean anything.
    for (const n of Object.values(outcomes)) expect(n).toBeGreaterThan(1_000);
    console.info(
      `property: ${cases} cases (${explained} also explained) over ${BUNDLES} bundles in ${seconds.toFixed(1)} s; outcomes ${JSON.stringify(outcomes)}`,
    );
  }, 300_000);
});
