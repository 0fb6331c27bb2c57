import type { Activation, AgentView, ConditionFn, PresenceGuard } from "./cel-environment.ts";
import type { AiRole, ApprovalRequirement, Effect, MatchedRule } from "./decision.ts";
import type { GlobMatcher } from "./glob.ts";
import type { IndexNode } from "./rule-index.ts";

/** A compiled, immutable policy bundle: everything the evaluator needs, precomputed at load. */
export interface Bundle {
  readonly name: string;
  /** `sha256:<hex>` over the sorted policy file names and contents. */
  readonly digest: string;
  /** Policy files that went into the digest, sorted. */
  readonly files: readonly string[];
  /** Lowest first. */
  readonly riskLevels: readonly RiskLevel[];
  readonly agents: ReadonlyMap<string, CompiledAgent>;
  readonly workflows: ReadonlyMap<string, Workflow>;
  /** Rules from rules.yaml followed by the decision-matrix rows, in bundle order. */
  readonly rules: readonly CompiledRule[];
  readonly index: IndexNode;
  /** Number of distinct condition texts (CompiledRule.conditionSlot < conditionSlots). */
  readonly conditionSlots: number;
  readonly safetyActions: NameSet;
}

export interface RiskLevel {
  readonly id: string;
  readonly rank: number;
  readonly description: string;
  readonly approval: "automated" | "human";
  readonly minApprovers: number;
  readonly approverRoles: readonly string[];
  readonly aiAutonomy: "high" | "recommend_only" | "escalate_only" | "human_only";
}

export interface Workflow {
  readonly id: string;
  readonly description?: string;
  readonly minApprovers: number;
  readonly eligibleRoles: readonly string[];
  readonly requiredRoles: readonly string[];
  readonly timeoutSeconds: number;
  readonly escalation: readonly { readonly role: string; readonly afterSeconds: number }[];
  readonly notify: readonly string[];
  readonly aiMayRecommend: boolean;
}

/** Exact names in a set, globs tried in order. */
export interface NameSet {
  readonly patterns: readonly string[];
  readonly exact: ReadonlySet<string>;
  readonly globs: readonly GlobMatcher[];
}

export function nameSetHas(set: NameSet, name: string): boolean {
  if (set.exact.has(name)) return true;
  for (const g of set.globs) if (g.test(name)) return true;
  return false;
}

export interface CompiledAgent {
  readonly id: string;
  readonly kind: "ai_agent" | "automation";
  readonly riskRank: number;
  readonly view: AgentView;
  readonly allowedActions?: NameSet;
  readonly forbiddenActions: NameSet;
  readonly allowedTools?: NameSet;
  readonly forbiddenTools: NameSet;
  /** `limits.maxRequestsPerMinute`: decisions in the sliding last minute at which requests are denied. */
  readonly maxRequestsPerMinute?: number;
  /** `limits.dailyBudget`: amount of allowed / approval-required requests per UTC day, in `currency`. */
  readonly dailyBudget?: number;
  /** `limits.currency`, ISO 4217. */
  readonly currency?: string;
}

/** Whether the service counts the agent's usage: its profile has a rate limit or a daily budget. */
export function hasUsageLimits(agent: CompiledAgent): boolean {
  return agent.maxRequestsPerMinute !== undefined || agent.dailyBudget !== undefined;
}

/**
 * The agents whose usage the service must count (ADR 0006), sorted: those with a rate limit or a
 * daily budget. Decisions about any other agent need not be read from the decision stream.
 */
export function limitedAgentIds(bundle: Pick<Bundle, "agents">): readonly string[] {
  const ids: string[] = [];
  for (const agent of bundle.agents.values()) if (hasUsageLimits(agent)) ids.push(agent.id);
  return ids.sort();
}

/** Index dimensions, in index order. */
export const DIMENSIONS = ["action", "environment", "agent", "changeType", "versionChange"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Per dimension: undefined matches anything, otherwise one of the names or globs. */
export type RuleTarget = { readonly [D in Dimension]?: NameSet };

export type ReasonFn = (activation: Activation) => string;

export interface RuleOutcome {
  readonly effect: Effect;
  readonly approval?: ApprovalRequirement;
  /** Preallocated when the reason has no placeholders (no allocation on the hot path). */
  readonly staticMatch?: MatchedRule;
  readonly reason: ReasonFn;
}

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface CompiledRule {
  readonly id: string;
  /** Position in bundle order; matched rules are reported in this order. */
  readonly order: number;
  readonly kind: "rule" | "matrix";
  readonly description?: string;
  readonly shadow: boolean;
  /** Rank of the rule's risk level, -1 when it declares none. */
  readonly riskRank: number;
  readonly target: RuleTarget;
  readonly when?: string;
  readonly condition?: ConditionFn;
  /** Skips the CEL call when the condition is certainly false (see cel-environment.ts). */
  readonly guard?: PresenceGuard;
  /** Rules with the same condition text share a slot: evaluated once per decision. -1: no condition. */
  readonly conditionSlot: number;
  /** Outcome for every requester … */
  readonly outcome: RuleOutcome;
  /** … except AI agents, when the decision matrix gives them a different one. */
  readonly aiOutcome?: RuleOutcome;
  readonly aiRole?: AiRole;
  readonly location: SourceLocation;
}
