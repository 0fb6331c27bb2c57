import type { ActionRequest } from "./action-request.ts";
import type { CompiledAgent, NameSet } from "./bundle.ts";
import { nameSetHas } from "./bundle.ts";
import type { StopState } from "./stop-state.ts";
import { coveringScope, describeScope } from "./stop-state.ts";
import type { UsageSnapshot } from "./usage.ts";
import { toMicros } from "./usage-ledger.ts";

/** Built-in rule ids. */
export const BUILTIN = {
  identityMismatch: "identity.mismatch",
  agentUnknown: "agent.unknown",
  stopActive: "killswitch.active",
  stopUnknown: "killswitch.unknown",
  actionNotAllowed: "agent.action-not-allowed",
  actionForbidden: "agent.action-forbidden",
  toolNotAllowed: "agent.tool-not-allowed",
  toolForbidden: "agent.tool-forbidden",
  rateLimit: "agent.rate-limit",
  dailyBudget: "agent.daily-budget",
  usageUnknown: "agent.usage-unknown",
  defaultDeny: "default.deny",
} as const;

/** What a gate looks at: the request, who asked, the asker's profile and the live state. */
export interface GateInput {
  readonly request: ActionRequest;
  /** Agent established by the transport. */
  readonly agentId: string;
  /** Its profile; undefined when the bundle has none (then only explain reaches the later gates). */
  readonly agent: CompiledAgent | undefined;
  readonly stopState: StopState;
  readonly usage: UsageSnapshot;
  readonly safetyActions: NameSet;
}

/**
 * One built-in gate, stated once: `evaluate` runs `deny`, `explain` reports its reason or, when it
 * let the request through, `applies` and `passed`.
 */
export interface Gate {
  readonly id: string;
  /**
   * A short-circuit gate decides alone: when it denies, no later gate or rule is considered, and the
   * decision's risk is the bundle's highest (`top`: the asker is not who it claims, or unknown) or
   * the agent's (`agent`).
   */
  readonly shortCircuit?: "top" | "agent";
  /** Why this gate denies the request, or undefined when it lets it through. */
  readonly deny: (input: GateInput) => string | undefined;
  /** Whether the gate was checked for this request (else explain reports it not applicable). */
  readonly applies: (input: GateInput) => boolean;
  /** Why the gate let the request through (explain), or why it did not apply. */
  readonly passed: (input: GateInput) => string;
}

const numbers = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/** `5,000 USD`, or `5,000` when there is no currency. */
function money(value: number, currency: string | undefined): string {
  return currency === undefined ? numbers.format(value) : `${numbers.format(value)} ${currency}`;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function amountOf(request: ActionRequest): number | undefined {
  return typeof request.amount === "number" ? request.amount : undefined;
}

/** The stop applies unless the request is a safety action. */
function stopApplies(input: GateInput): boolean {
  return !nameSetHas(input.safetyActions, str(input.request.action) ?? "");
}

/** The agent's daily budget applies to requests that carry an amount. */
function budgeted(agent: CompiledAgent | undefined, request: ActionRequest): boolean {
  return agent?.dailyBudget !== undefined && amountOf(request) !== undefined;
}

/** Gates, in the order `evaluate` runs them and `explain` lists them. */
export const BUILTIN_GATES: readonly Gate[] = [
  {
    id: BUILTIN.identityMismatch,
    shortCircuit: "top",
    deny: ({ request, agentId }) =>
      request.agentId === agentId
        ? undefined
        : `payload agentId "${String(request.agentId)}" does not match the authenticated agent "${agentId}"`,
    applies: () => true,
    passed: ({ agentId }) => `payload agentId matches the authenticated agent "${agentId}"`,
  },
  {
    id: BUILTIN.agentUnknown,
    shortCircuit: "top",
    deny: ({ agent, agentId }) =>
      agent === undefined ? `agent "${agentId}" has no profile in the policy bundle` : undefined,
    applies: () => true,
    passed: ({ agentId }) => `agent "${agentId}" has a profile`,
  },
  {
    id: BUILTIN.stopUnknown,
    shortCircuit: "agent",
    deny: (input) =>
      input.stopState.kind === "unknown" && stopApplies(input)
        ? `emergency-stop state unknown (${input.stopState.reason}); treated as stopped`
        : undefined,
    applies: ({ stopState }) => stopState.kind === "unknown",
    passed: ({ stopState }) =>
      stopState.kind === "unknown" ? "safety action: allowed during a stop" : "emergency-stop state is known",
  },
  {
    id: BUILTIN.stopActive,
    shortCircuit: "agent",
    deny: (input) => {
      const stop = input.stopState;
      if (stop.kind !== "active" || !stopApplies(input)) return undefined;
      const scope = coveringScope(stop.scopes, input.request, input.agentId);
      return scope === undefined
        ? undefined
        : `emergency stop active (${describeScope(scope)}, epoch ${stop.epoch})`;
    },
    applies: ({ stopState }) => stopState.kind === "active",
    passed: ({ stopState }) =>
      stopState.kind === "active"
        ? "no active stop scope covers this request, or it is a safety action"
        : "no emergency stop is active",
  },
  {
    id: BUILTIN.actionForbidden,
    deny: ({ agent, request }) => {
      const action = str(request.action) ?? "";
      return agent !== undefined && nameSetHas(agent.forbiddenActions, action)
        ? `agent ${agent.id} is forbidden to perform ${action} (agents.yaml forbiddenActions)`
        : undefined;
    },
    applies: () => true,
    passed: () => "action not in the agent's forbiddenActions",
  },
  {
    id: BUILTIN.actionNotAllowed,
    deny: ({ agent, request }) => {
      const allowed = agent?.allowedActions;
      if (agent === undefined || allowed === undefined) return undefined;
      const action = str(request.action) ?? "";
      // A forbidden action is reported by agent.action-forbidden alone.
      return nameSetHas(allowed, action) || nameSetHas(agent.forbiddenActions, action)
        ? undefined
        : `agent ${agent.id} may not perform ${action}: not in its allowedActions`;
    },
    applies: ({ agent }) => agent?.allowedActions !== undefined,
    passed: ({ agent }) =>
      agent?.allowedActions === undefined
        ? "agent has no allowedActions list"
        : "action is in the agent's allowedActions",
  },
  {
    id: BUILTIN.toolForbidden,
    deny: ({ agent, request }) => {
      const tool = str(request.tool);
      return agent !== undefined && tool !== undefined && nameSetHas(agent.forbiddenTools, tool)
        ? `agent ${agent.id} is forbidden to use tool ${tool} (agents.yaml forbiddenTools)`
        : undefined;
    },
    applies: ({ request }) => typeof request.tool === "string",
    passed: ({ request }) =>
      typeof request.tool === "string" ? "tool not in the agent's forbiddenTools" : "request names no tool",
  },
  {
    id: BUILTIN.toolNotAllowed,
    deny: ({ agent, request }) => {
      const tool = str(request.tool);
      const allowed = agent?.allowedTools;
      if (agent === undefined || tool === undefined || allowed === undefined) return undefined;
      // A forbidden tool is reported by agent.tool-forbidden alone.
      return nameSetHas(allowed, tool) || nameSetHas(agent.forbiddenTools, tool)
        ? undefined
        : `agent ${agent.id} may not use tool ${tool}: not in its allowedTools`;
    },
    applies: ({ agent, request }) => typeof request.tool === "string" && agent?.allowedTools !== undefined,
    passed: () => "tool allowed, no tool, or no allowedTools list",
  },
  {
    id: BUILTIN.usageUnknown,
    deny: ({ agent, request, usage }) => {
      if (agent === undefined || usage.state !== "unknown") return undefined;
      const limit = agent.maxRequestsPerMinute;
      const isBudgeted = budgeted(agent, request);
      if (limit === undefined && !isBudgeted) return undefined;
      const what =
        limit !== undefined && isBudgeted
          ? `rate limit (${numbers.format(limit)}/min) and daily budget`
          : limit !== undefined
            ? `rate limit (${numbers.format(limit)}/min)`
            : "daily budget";
      return `usage of ${agent.id} could not be confirmed (${usage.reason}); its ${what} cannot be checked, so the request is denied`;
    },
    applies: ({ agent, request }) => agent?.maxRequestsPerMinute !== undefined || budgeted(agent, request),
    passed: ({ agent, request }) =>
      agent?.maxRequestsPerMinute !== undefined || budgeted(agent, request)
        ? "usage confirmed"
        : "no rate limit, and no daily budget for this request",
  },
  {
    id: BUILTIN.rateLimit,
    deny: ({ agent, usage }) => {
      const limit = agent?.maxRequestsPerMinute;
      if (agent === undefined || limit === undefined || usage.state !== "confirmed") return undefined;
      return usage.requestsLastMinute >= limit
        ? `${agent.id} made ${numbers.format(usage.requestsLastMinute)} requests in the last minute; the limit is ${numbers.format(limit)}`
        : undefined;
    },
    applies: ({ agent, usage }) => agent?.maxRequestsPerMinute !== undefined && usage.state === "confirmed",
    passed: ({ agent, usage }) => {
      const limit = agent?.maxRequestsPerMinute;
      if (limit === undefined) return "agent has no maxRequestsPerMinute";
      return usage.state === "confirmed"
        ? `${numbers.format(usage.requestsLastMinute)} requests in the last minute, below the limit of ${numbers.format(limit)}`
        : "usage unknown";
    },
  },
  {
    id: BUILTIN.dailyBudget,
    deny: ({ agent, request, usage }) => {
      const budget = agent?.dailyBudget;
      const amount = amountOf(request);
      if (agent === undefined || budget === undefined || amount === undefined || usage.state !== "confirmed")
        return undefined;
      const currency = agent.currency;
      const requestCurrency = str(request.currency);
      if (currency !== undefined && requestCurrency !== undefined && requestCurrency !== currency)
        return `an amount in ${requestCurrency} cannot be counted against ${agent.id}'s daily budget in ${currency}`;
      const committed = toMicros(usage.committedToday);
      if (committed + toMicros(amount) <= toMicros(budget)) return undefined;
      const left = Math.max(0, toMicros(budget) - committed) / 1_000_000;
      return `${agent.id} has committed ${money(usage.committedToday, currency)} of its daily budget of ${money(budget, currency)} today (UTC); ${money(left, currency)} left, this request is for ${money(amount, currency)}`;
    },
    applies: ({ agent, request, usage }) => budgeted(agent, request) && usage.state === "confirmed",
    passed: ({ agent, request, usage }) => {
      const budget = agent?.dailyBudget;
      if (budget === undefined) return "agent has no dailyBudget";
      if (!budgeted(agent, request)) return "request carries no amount";
      return usage.state === "confirmed"
        ? `${money(usage.committedToday, agent?.currency)} committed today; this request fits the daily budget of ${money(budget, agent?.currency)}`
        : "usage unknown";
    },
  },
];

/** Ids of the gates that decide alone. */
export const SHORT_CIRCUIT_GATES: ReadonlySet<string> = new Set(
  BUILTIN_GATES.filter((g) => g.shortCircuit !== undefined).map((g) => g.id),
);
