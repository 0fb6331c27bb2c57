import type { ActionRequest } from "./action-request.ts";
import type { Gate, GateInput } from "./builtin-gates.ts";
import { BUILTIN, BUILTIN_GATES, SHORT_CIRCUIT_GATES } from "./builtin-gates.ts";
import type { Bundle, CompiledRule, Dimension, NameSet, RuleOutcome, SourceLocation } from "./bundle.ts";
import { DIMENSIONS, nameSetHas } from "./bundle.ts";
import type { Activation, AgentView } from "./cel-environment.ts";
import type { ApprovalRequirement, Decision, Effect, MatchedRule, Outcome } from "./decision.ts";
import type { IndexNode } from "./rule-index.ts";
import type { StopState } from "./stop-state.ts";
import { STOP_CLEAR } from "./stop-state.ts";
import type { UsageSnapshot } from "./usage.ts";
import { USAGE_NONE } from "./usage.ts";

/** What the transport knows about the request, beyond its payload. */
export interface EvaluationContext {
  /** Agent id established by the transport (NATS subject / connection, gRPC peer), never the payload. */
  readonly authenticatedAgentId: string;
  readonly stopState: StopState;
  /**
   * The authenticated agent's usage before this request: the profile's rate and budget limits are
   * checked against it. Unknown usage denies agents that have such a limit (fail closed).
   */
  readonly usage: UsageSnapshot;
  /** Evaluation time (epoch ms) for `now` in conditions; defaults to the evaluator's clock. */
  readonly now?: number;
}

export interface EvaluatorOptions {
  /**
   * Wall clock, epoch ms. Default: derived from the monotonic clock (re-synchronised with Date.now
   * every second), which saves a clock read per decision.
   */
  readonly clock?: () => number;
  /** Monotonic clock in milliseconds with sub-microsecond resolution. */
  readonly monotonicMs?: () => number;
}

export type RuleStatus =
  "matched" | "index_miss" | "condition_false" | "condition_error" | "not_applicable" | "skipped";

export interface RuleExplanation {
  readonly ruleId: string;
  readonly kind: "gate" | "rule" | "matrix";
  readonly effect: Effect;
  readonly shadow: boolean;
  readonly status: RuleStatus;
  /** Why it matched, or why not. */
  readonly detail: string;
  readonly location?: SourceLocation;
}

export interface Explanation {
  readonly decision: Decision;
  /** Rules the index selected for this request (the only ones whose conditions ran). */
  readonly candidates: readonly string[];
  /** Every gate and every rule of the bundle, in order. */
  readonly rules: readonly RuleExplanation[];
}

export interface Evaluator {
  readonly bundle: Bundle;
  evaluate(request: ActionRequest, context: EvaluationContext): Decision;
  explain(request: ActionRequest, context: EvaluationContext): Explanation;
  /** Ids of the rules the index selects for a request, in bundle order (for tests and explain). */
  candidates(request: ActionRequest): string[];
}

export { BUILTIN } from "./builtin-gates.ts";

/**
 * The gate table unrolled for evaluate: short-circuit gates first, then the others. A table that
 * no longer has this shape fails here, at load, so evaluate cannot silently skip or reorder a gate.
 */
function gateAt(i: number, shortCircuit: boolean): Gate {
  const gate = BUILTIN_GATES[i];
  if (gate === undefined || (gate.shortCircuit !== undefined) !== shortCircuit)
    throw new Error("evaluator: BUILTIN_GATES must be 4 short-circuit gates followed by 7 others");
  return gate;
}
if (BUILTIN_GATES.length !== 11)
  throw new Error("evaluator: BUILTIN_GATES must be 4 short-circuit gates followed by 7 others");
const G0 = gateAt(0, true);
const G1 = gateAt(1, true);
const G2 = gateAt(2, true);
const G3 = gateAt(3, true);
const G4 = gateAt(4, false);
const G5 = gateAt(5, false);
const G6 = gateAt(6, false);
const G7 = gateAt(7, false);
const G8 = gateAt(8, false);
const G9 = gateAt(9, false);
const G10 = gateAt(10, false);

function gateMatch(gate: Gate, reason: string): MatchedRule {
  return { ruleId: gate.id, effect: "deny", reason, shadow: false };
}

const EMPTY_AGENT: AgentView = Object.freeze({
  id: "",
  kind: "",
  riskLevel: "",
  capabilities: Object.freeze({ dataAccess: "none", externalMessages: false, codeExecution: false }),
  limits: Object.freeze({}),
});

const NO_REQUEST: ActionRequest = Object.freeze({ actionId: "", agentId: "", action: "" });

const DEFAULT_DENY: MatchedRule = Object.freeze({
  ruleId: BUILTIN.defaultDeny,
  effect: "deny",
  reason: "no rule allows this action for this agent (default deny)",
  shadow: false,
});

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function errorMessage(err: unknown): string {
  const e = err as { summary?: unknown; message?: unknown };
  if (typeof e.summary === "string") return e.summary;
  return (typeof e.message === "string" ? e.message : String(err)).split("\n")[0] ?? "";
}

function addAll(into: string[], from: readonly string[]): void {
  for (const x of from) if (!into.includes(x)) into.push(x);
}

/**
 * Several different enforced approval requirements matched (rare: rules of one workflow share
 * one requirement). The one with the highest risk (then the first in bundle order) names the
 * workflow, timeouts and escalation; quorum is the largest, roles and notifications are the union,
 * and AI may recommend only if every rule lets it.
 */
function mergeApprovals(
  list: readonly { approval: ApprovalRequirement; riskRank: number }[],
): ApprovalRequirement | undefined {
  let primary = list[0];
  if (primary === undefined) return undefined;
  let minApprovers = 0;
  const requiredRoles: string[] = [];
  const eligibleRoles: string[] = [];
  const notify: string[] = [];
  let aiMayRecommend = true;
  for (const entry of list) {
    if (entry.riskRank > primary.riskRank) primary = entry;
    const a = entry.approval;
    if (a.minApprovers > minApprovers) minApprovers = a.minApprovers;
    addAll(requiredRoles, a.requiredRoles);
    addAll(eligibleRoles, a.eligibleRoles);
    addAll(notify, a.notify);
    aiMayRecommend &&= a.aiMayRecommend;
  }
  addAll(eligibleRoles, requiredRoles);
  const p = primary.approval;
  return {
    workflow: p.workflow,
    minApprovers: Math.max(minApprovers, requiredRoles.length),
    requiredRoles,
    eligibleRoles,
    timeoutSeconds: p.timeoutSeconds,
    escalation: p.escalation,
    ...(p.aiRole === undefined ? {} : { aiRole: p.aiRole }),
    aiMayRecommend,
    aiMayApprove: false,
    notify,
  };
}

class RuleEvaluator implements Evaluator {
  readonly bundle: Bundle;
  readonly #clock: (() => number) | undefined;
  readonly #monotonic: () => number;
  #wallOffset = 0;
  #wallSyncedAt = Number.NEGATIVE_INFINITY;
  readonly #topRisk: string;

  // Per-evaluation scratch state, reused so the hot path does not allocate for rules it skips.
  readonly #seen: Uint32Array;
  readonly #condSeen: Uint32Array;
  readonly #condState: Uint8Array;
  readonly #condErrors: (string | undefined)[];
  #seq = 0;
  readonly #values: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  readonly #activation: Activation = { request: NO_REQUEST, agent: EMPTY_AGENT, now: new Date(0) };
  #candCount = 0;
  readonly #cands: CompiledRule[] = [];
  #hitCount = 0;
  #lastError: string | undefined;
  readonly #hitRules: CompiledRule[] = [];
  readonly #hitOutcomes: RuleOutcome[] = [];
  readonly #hitErrors: (string | undefined)[] = [];
  #collect: CompiledRule[] | undefined;
  #lastNow = Number.NaN;
  readonly #gateInput: { -readonly [K in keyof GateInput]: GateInput[K] };
  #lastIso = "";

  constructor(bundle: Bundle, options: EvaluatorOptions) {
    this.bundle = bundle;
    this.#clock = options.clock;
    this.#monotonic = options.monotonicMs ?? (() => performance.now());
    this.#seen = new Uint32Array(bundle.rules.length);
    this.#condSeen = new Uint32Array(bundle.conditionSlots);
    this.#condState = new Uint8Array(bundle.conditionSlots);
    this.#condErrors = new Array<string | undefined>(bundle.conditionSlots).fill(undefined);
    this.#topRisk = bundle.riskLevels[bundle.riskLevels.length - 1]?.id ?? "unknown";
    this.#gateInput = {
      request: NO_REQUEST,
      agentId: "",
      agent: undefined,
      stopState: STOP_CLEAR,
      usage: USAGE_NONE,
      safetyActions: bundle.safetyActions,
    };
  }

  /** Wall-clock now (epoch ms) for a decision that started at monotonic time `started`. */
  #now(started: number): number {
    if (this.#clock !== undefined) return this.#clock();
    if (started - this.#wallSyncedAt > 1_000) {
      this.#wallOffset = Date.now() - started;
      this.#wallSyncedAt = started;
    }
    return Math.floor(started + this.#wallOffset);
  }

  #iso(now: number): string {
    if (now !== this.#lastNow) {
      this.#lastNow = now;
      this.#lastIso = new Date(now).toISOString();
    }
    return this.#lastIso;
  }

  #visit(node: IndexNode, depth: number): void {
    if (depth === DIMENSIONS.length) {
      const rules = node.rules;
      for (let i = 0; i < rules.length; i++) this.#consider(rules[i] as CompiledRule);
      return;
    }
    const value = this.#values[depth];
    if (value !== undefined) {
      const child = node.exact.get(value);
      if (child !== undefined) this.#visit(child, depth + 1);
      const globs = node.globs;
      for (let i = 0; i < globs.length; i++) {
        const g = globs[i];
        if (g !== undefined && g.glob.test(value)) this.#visit(g.node, depth + 1);
      }
    }
    if (node.any !== undefined) this.#visit(node.any, depth + 1);
  }

  #consider(rule: CompiledRule): void {
    if (this.#seen[rule.order] === this.#seq) return;
    this.#seen[rule.order] = this.#seq;
    if (this.#collect !== undefined) this.#collect.push(rule);
    else this.#cands[this.#candCount++] = rule;
  }

  /** 0: condition false, 1: true (or none), 2: error (message in #lastError). Memoised per condition text. */
  #test(rule: CompiledRule): number {
    if (rule.condition === undefined) return 1;
    if (rule.guard !== undefined && rule.guard(this.#activation.request)) return 0;
    const slot = rule.conditionSlot;
    if (this.#condSeen[slot] !== this.#seq) {
      let state = 2;
      let error: string | undefined;
      try {
        const result = rule.condition(this.#activation);
        if (result === true) state = 1;
        else if (result === false) state = 0;
        else error = `condition returned ${typeof result}, not bool`;
      } catch (err) {
        error = errorMessage(err);
      }
      this.#condSeen[slot] = this.#seq;
      this.#condState[slot] = state;
      this.#condErrors[slot] = error;
    }
    this.#lastError = this.#condErrors[slot];
    return this.#condState[slot] ?? 2;
  }

  #hit(rule: CompiledRule, outcome: RuleOutcome, state: number): void {
    const n = this.#hitCount++;
    this.#hitRules[n] = rule;
    this.#hitOutcomes[n] = outcome;
    this.#hitErrors[n] = state === 2 ? (this.#lastError ?? "condition failed") : undefined;
  }

  #prepare(request: ActionRequest, agentId: string): void {
    this.#seq = (this.#seq + 1) >>> 0;
    if (this.#seq === 0) {
      this.#seen.fill(0);
      this.#condSeen.fill(0);
      this.#seq = 1;
    }
    const v = this.#values;
    v[0] = str(request.action);
    v[1] = str(request.environment);
    v[2] = agentId;
    v[3] = str(request.changeType);
    v[4] = str(request.versionChange);
  }

  candidates(request: ActionRequest): string[] {
    const out: CompiledRule[] = [];
    this.#prepare(request, str(request.agentId) ?? "");
    this.#collect = out;
    try {
      this.#visit(this.bundle.index, 0);
    } finally {
      this.#collect = undefined;
    }
    return out.sort((a, b) => a.order - b.order).map((r) => r.id);
  }

  #decision(
    request: ActionRequest,
    agentId: string,
    outcome: Outcome,
    riskLevel: string,
    matched: readonly MatchedRule[],
    reasons: readonly string[],
    approval: ApprovalRequirement | undefined,
    now: number,
    started: number,
  ): Decision {
    const evalDurationNs = Math.round((this.#monotonic() - started) * 1e6);
    return approval === undefined
      ? {
          actionId: request.actionId,
          agentId,
          outcome,
          riskLevel,
          matched,
          reasons,
          bundleDigest: this.bundle.digest,
          evaluatedAt: this.#iso(now),
          evalDurationNs,
        }
      : {
          actionId: request.actionId,
          agentId,
          outcome,
          riskLevel,
          matched,
          reasons,
          approval,
          bundleDigest: this.bundle.digest,
          evaluatedAt: this.#iso(now),
          evalDurationNs,
        };
  }

  evaluate(request: ActionRequest, context: EvaluationContext): Decision {
    const started = this.#monotonic();
    const now = context.now ?? this.#now(started);
    const agentId = context.authenticatedAgentId;
    const bundle = this.bundle;

    const agent = bundle.agents.get(agentId);
    const input = this.#gateInput;
    input.request = request;
    input.agentId = agentId;
    input.agent = agent;
    input.stopState = context.stopState;
    input.usage = context.usage;
    const matched: MatchedRule[] = [];
    // The table's gates, one call site each (monomorphic, so inlined); order and kinds are the
    // table's, checked when this module loads.
    let reason: string | undefined;
    let stop: Gate | undefined;
    if ((reason = G0.deny(input)) !== undefined) stop = G0;
    else if ((reason = G1.deny(input)) !== undefined) stop = G1;
    else if ((reason = G2.deny(input)) !== undefined) stop = G2;
    else if ((reason = G3.deny(input)) !== undefined) stop = G3;
    if (stop !== undefined && reason !== undefined) {
      const risk =
        stop.shortCircuit === "top" || agent === undefined
          ? this.#topRisk
          : (bundle.riskLevels[agent.riskRank]?.id ?? this.#topRisk);
      const match: MatchedRule = { ruleId: stop.id, effect: "deny", reason, shadow: false };
      return this.#decision(request, agentId, "deny", risk, [match], [reason], undefined, now, started);
    }
    if ((reason = G4.deny(input)) !== undefined) matched.push(gateMatch(G4, reason));
    if ((reason = G5.deny(input)) !== undefined) matched.push(gateMatch(G5, reason));
    if ((reason = G6.deny(input)) !== undefined) matched.push(gateMatch(G6, reason));
    if ((reason = G7.deny(input)) !== undefined) matched.push(gateMatch(G7, reason));
    if ((reason = G8.deny(input)) !== undefined) matched.push(gateMatch(G8, reason));
    if ((reason = G9.deny(input)) !== undefined) matched.push(gateMatch(G9, reason));
    if ((reason = G10.deny(input)) !== undefined) matched.push(gateMatch(G10, reason));
    // Unreachable: the agent-unknown gate denies a request without a profile.
    if (agent === undefined)
      throw new Error(`${BUILTIN.agentUnknown} let an agent without a profile through`);
    const agentRisk = bundle.riskLevels[agent.riskRank]?.id ?? this.#topRisk;

    // Candidates from the index.
    this.#prepare(request, agentId);
    const activation = this.#activation;
    activation.request = request;
    activation.agent = agent.view;
    activation.now.setTime(now);
    this.#candCount = 0;
    this.#hitCount = 0;
    this.#visit(bundle.index, 0);
    const cands = this.#cands;
    const candCount = this.#candCount;
    const isAi = agent.kind === "ai_agent";

    // Shadow and deny rules first; the others only while nothing denies (they cannot change a deny).
    let denied = matched.length > 0;
    for (let i = 0; i < candCount; i++) {
      const rule = cands[i] as CompiledRule;
      const outcome = isAi && rule.aiOutcome !== undefined ? rule.aiOutcome : rule.outcome;
      if (!rule.shadow && outcome.effect !== "deny") continue;
      const state = this.#test(rule);
      if (state === 0) continue;
      this.#hit(rule, outcome, state);
      if (!rule.shadow) denied = true;
    }
    if (!denied) {
      for (let i = 0; i < candCount; i++) {
        const rule = cands[i] as CompiledRule;
        const outcome = isAi && rule.aiOutcome !== undefined ? rule.aiOutcome : rule.outcome;
        if (rule.shadow || outcome.effect === "deny") continue;
        const state = this.#test(rule);
        if (state !== 0) this.#hit(rule, outcome, state);
      }
    }

    // Report in bundle order (insertion sort over the few hits).
    const count = this.#hitCount;
    const rules = this.#hitRules;
    const outcomes = this.#hitOutcomes;
    const errors = this.#hitErrors;
    for (let i = 1; i < count; i++) {
      const r = rules[i] as CompiledRule;
      const o = outcomes[i] as RuleOutcome;
      const e = errors[i];
      let j = i - 1;
      while (j >= 0 && (rules[j] as CompiledRule).order > r.order) {
        rules[j + 1] = rules[j] as CompiledRule;
        outcomes[j + 1] = outcomes[j] as RuleOutcome;
        errors[j + 1] = errors[j];
        j--;
      }
      rules[j + 1] = r;
      outcomes[j + 1] = o;
      errors[j + 1] = e;
    }

    let denies = matched.length;
    let approvals = 0;
    let allows = 0;
    for (let i = 0; i < count; i++) {
      if ((rules[i] as CompiledRule).shadow) continue;
      if (errors[i] !== undefined || (outcomes[i] as RuleOutcome).effect === "deny") denies++;
      else if ((outcomes[i] as RuleOutcome).effect === "approval_required") approvals++;
      else allows++;
    }
    let result: Outcome;
    if (denies > 0) result = "deny";
    else if (approvals > 0) result = "approval_required";
    else if (allows > 0) result = "allow";
    else result = "deny";

    // A deny reports what denies (and shadow observations); otherwise every match.
    let riskRank = agent.riskRank;
    let approval: ApprovalRequirement | undefined;
    let approvalRank = -1;
    let moreApprovals: { approval: ApprovalRequirement; riskRank: number }[] | undefined;
    for (let i = 0; i < count; i++) {
      const rule = rules[i] as CompiledRule;
      const outcome = outcomes[i] as RuleOutcome;
      const error = errors[i];
      const effect = error === undefined ? outcome.effect : "deny";
      if (!rule.shadow && result === "deny" && effect !== "deny") continue;
      if (error !== undefined)
        matched.push({
          ruleId: rule.id,
          effect: "deny",
          reason: `condition error: ${error}`,
          shadow: rule.shadow,
        });
      else
        matched.push(
          outcome.staticMatch ?? {
            ruleId: rule.id,
            effect,
            reason: outcome.reason(activation),
            shadow: rule.shadow,
          },
        );
      if (rule.shadow) continue;
      if (rule.riskRank > riskRank) riskRank = rule.riskRank;
      if (effect === "approval_required" && outcome.approval !== undefined) {
        if (approval === undefined) {
          approval = outcome.approval;
          approvalRank = rule.riskRank;
        } else if (outcome.approval !== approval) {
          (moreApprovals ??= [{ approval, riskRank: approvalRank }]).push({
            approval: outcome.approval,
            riskRank: rule.riskRank,
          });
        }
      }
    }
    if (denies === 0 && approvals === 0 && allows === 0) matched.push(DEFAULT_DENY);
    const reasons: string[] = [];
    for (const m of matched) if (!m.shadow && m.effect === result) reasons.push(m.reason);
    if (result !== "approval_required") approval = undefined;
    else if (moreApprovals !== undefined) approval = mergeApprovals(moreApprovals);
    const riskLevel = bundle.riskLevels[riskRank]?.id ?? agentRisk;
    return this.#decision(request, agentId, result, riskLevel, matched, reasons, approval, now, started);
  }

  explain(request: ActionRequest, context: EvaluationContext): Explanation {
    const now = context.now ?? this.#now(this.#monotonic());
    const decision = this.evaluate(request, { ...context, now });
    const candidates = this.candidates(request);
    const agentId = context.authenticatedAgentId;
    const agent = this.bundle.agents.get(agentId);
    const byId = new Map(decision.matched.map((m) => [m.ruleId, m]));
    const traces: RuleExplanation[] = [];
    const input: GateInput = {
      request,
      agentId,
      agent,
      stopState: context.stopState,
      usage: context.usage,
      safetyActions: this.bundle.safetyActions,
    };
    for (const gate of BUILTIN_GATES) {
      const m = byId.get(gate.id);
      traces.push({
        ruleId: gate.id,
        kind: "gate",
        effect: "deny",
        shadow: false,
        status: m !== undefined ? "matched" : gate.applies(input) ? "condition_false" : "not_applicable",
        detail: m?.reason ?? gate.passed(input),
      });
    }

    const shortCircuit = decision.matched.find((m) => SHORT_CIRCUIT_GATES.has(m.ruleId));
    const values: Record<Dimension, string | undefined> = {
      action: str(request.action),
      environment: str(request.environment),
      agent: agentId,
      changeType: str(request.changeType),
      versionChange: str(request.versionChange),
    };
    const activation: Activation = { request, agent: agent?.view ?? EMPTY_AGENT, now: new Date(now) };
    const isAi = agent?.kind === "ai_agent";
    for (const rule of this.bundle.rules) {
      const outcome = isAi && rule.aiOutcome !== undefined ? rule.aiOutcome : rule.outcome;
      const base = {
        ruleId: rule.id,
        kind: rule.kind,
        effect: outcome.effect,
        shadow: rule.shadow,
        location: rule.location,
      };
      if (shortCircuit !== undefined) {
        traces.push({
          ...base,
          status: "skipped",
          detail: `not considered: ${shortCircuit.ruleId} decided first`,
        });
        continue;
      }
      const miss = DIMENSIONS.map((d) => [d, rule.target[d]] as const).find(
        ([d, set]: readonly [Dimension, NameSet | undefined]) =>
          set !== undefined && (values[d] === undefined || !nameSetHas(set, values[d] ?? "")),
      );
      if (miss !== undefined) {
        const [d, set] = miss;
        const wanted = `[${set?.patterns.join(", ") ?? ""}]`;
        const detail =
          values[d] === undefined
            ? `request has no ${d}; rule needs ${d} in ${wanted}`
            : `${d} "${values[d] ?? ""}" not in ${wanted}`;
        traces.push({ ...base, status: "index_miss", detail });
        continue;
      }
      if (rule.condition === undefined) {
        traces.push({
          ...base,
          status: "matched",
          detail: byId.get(rule.id)?.reason ?? outcome.reason(activation),
        });
        continue;
      }
      try {
        const result = rule.condition(activation);
        if (result === true)
          traces.push({
            ...base,
            status: "matched",
            detail: byId.get(rule.id)?.reason ?? outcome.reason(activation),
          });
        else if (result === false)
          traces.push({ ...base, status: "condition_false", detail: `condition false: ${rule.when ?? ""}` });
        else
          traces.push({
            ...base,
            effect: "deny",
            status: "condition_error",
            detail: `condition returned ${typeof result}, not bool (counts as deny)`,
          });
      } catch (err) {
        traces.push({
          ...base,
          effect: "deny",
          status: "condition_error",
          detail: `condition error: ${errorMessage(err)} (counts as deny)`,
        });
      }
    }
    if (byId.has(BUILTIN.defaultDeny)) {
      traces.push({
        ruleId: BUILTIN.defaultDeny,
        kind: "gate",
        effect: "deny",
        shadow: false,
        status: "matched",
        detail: byId.get(BUILTIN.defaultDeny)?.reason ?? "",
      });
    }
    return { decision, candidates, rules: traces };
  }
}

/** Builds an evaluator over a compiled bundle. Cheap; one per bundle (swap both on reload). */
export function createEvaluator(bundle: Bundle, options: EvaluatorOptions = {}): Evaluator {
  return new RuleEvaluator(bundle, options);
}
