import { Environment } from "@marcbachmann/cel-js";
import type { ASTNode } from "@marcbachmann/cel-js";
import type { ActionRequest } from "./action-request.ts";
import { compileGlob, globMatch } from "./glob.ts";
import { containsPii, ibanValid, luhnValid, piiKinds } from "./pii.ts";
import {
  inPeriod,
  inWindow,
  isValidTimeZone,
  parseClock,
  parseLocalDateTime,
  parseWeekday,
} from "./time-window.ts";

/**
 * The CEL environment rule conditions run in. Variables:
 *   request  the ActionRequest (fields as in action-request.ts)
 *   agent    the requesting agent's profile (id, kind, riskLevel, capabilities, limits, businessHours)
 *   now      the evaluator's clock (timestamp) — never a payload field
 * Custom functions: containsPII, piiKinds, luhnValid, ibanValid, inWindow, inPeriod, globMatch.
 *
 * Conditions are type-checked at load time against a typed schema of these variables (so a typo
 * such as `request.amout` is a load error) and run against an environment that declares them as
 * maps, which evaluates plain objects without converting them.
 */

/** What CEL sees as `agent`. */
export interface AgentView {
  readonly id: string;
  readonly kind: string;
  readonly riskLevel: string;
  readonly capabilities: {
    readonly dataAccess: string;
    readonly externalMessages: boolean;
    readonly codeExecution: boolean;
  };
  readonly limits: Readonly<Record<string, number | string | boolean>>;
  readonly businessHours?: { readonly start: string; readonly end: string; readonly timeZone: string };
}

export interface Activation {
  request: ActionRequest;
  agent: AgentView;
  now: Date;
}

export type ConditionFn = (activation: Activation) => unknown;

export interface ConditionIssue {
  /** Offset in the expression text. */
  readonly offset: number;
  readonly message: string;
}

/** True when the condition is certainly false for this request (its `has(request.x)` guards fail). */
export type PresenceGuard = (request: ActionRequest) => boolean;

export type CompileConditionResult =
  | { readonly ok: true; readonly run: ConditionFn; readonly guard?: PresenceGuard }
  | { readonly ok: false; readonly issues: readonly ConditionIssue[] };

export const REQUEST_SCHEMA = {
  actionId: "string",
  agentId: "string",
  action: "string",
  tool: "string",
  changeType: "string",
  environment: "string",
  versionChange: "string",
  target: "string",
  amount: "double",
  currency: "string",
  message: { channel: "string", external: "bool", body: "string" },
  arguments: "map<string, dyn>",
  requestedBy: "string",
  ticket: "string",
  reason: "string",
  ai: {
    model: "string",
    version: "string",
    promptDigest: "string",
    rationale: "string",
    confidence: "double",
  },
  time: "string",
} as const;

export const AGENT_SCHEMA = {
  id: "string",
  kind: "string",
  riskLevel: "string",
  capabilities: { dataAccess: "string", externalMessages: "bool", codeExecution: "bool" },
  limits: {
    maxTransactionAmount: "double",
    refundApprovalThreshold: "double",
    currency: "string",
    transactionsRequireApproval: "bool",
    maxRequestsPerMinute: "double",
    dailyBudget: "double",
  },
  businessHours: { start: "string", end: "string", timeZone: "string" },
} as const;

const TIMESTAMP = "google.protobuf.Timestamp";

function withFunctions(env: Environment): Environment {
  return env
    .registerFunction("containsPII(string): bool", (text: string) => containsPii(text), {
      description:
        "True when the text contains an e-mail address, phone number, card number (Luhn), national id or IBAN (mod 97)",
    })
    .registerFunction("piiKinds(string): list<string>", (text: string) => piiKinds(text), {
      description: "Kinds of personal data in the text: email, phone, card_number, national_id, iban",
    })
    .registerFunction("luhnValid(string): bool", (digits: string) => luhnValid(digits.replace(/[ -]/g, "")))
    .registerFunction("ibanValid(string): bool", (iban: string) => ibanValid(iban))
    .registerFunction(
      `inWindow(${TIMESTAMP}, string, string, string): bool`,
      (t: Date, start: string, end: string, zone: string) => inWindow(t.getTime(), start, end, zone),
      { description: "Daily window [start, end) as HH:MM in the IANA time zone" },
    )
    .registerFunction(
      `inWindow(${TIMESTAMP}, string, string, string, list<string>): bool`,
      (t: Date, start: string, end: string, zone: string, days: readonly string[]) =>
        inWindow(t.getTime(), start, end, zone, days),
      { description: "Daily window [start, end) in the time zone, on the listed local weekdays (Mon … Sun)" },
    )
    .registerFunction(
      `inPeriod(${TIMESTAMP}, string, string, string): bool`,
      (t: Date, from: string, to: string, zone: string) => inPeriod(t.getTime(), from, to, zone),
      {
        description:
          "Period [from, to) of local date-times (YYYY-MM-DD[THH:MM]) in the time zone: freeze windows",
      },
    )
    .registerFunction(
      "globMatch(string, string): bool",
      (name: string, pattern: string) => globMatch(name, pattern),
      {
        description: 'Glob match of a tool or action name, e.g. globMatch(request.tool, "db.*")',
      },
    );
}

let environments: { check: Environment; run: Environment } | undefined;

function getEnvironments(): { check: Environment; run: Environment } {
  environments ??= {
    check: withFunctions(
      new Environment()
        .registerVariable({ name: "request", schema: REQUEST_SCHEMA })
        .registerVariable({ name: "agent", schema: AGENT_SCHEMA })
        .registerVariable("now", TIMESTAMP),
    ),
    run: withFunctions(
      new Environment()
        .registerVariable("request", "map")
        .registerVariable("agent", "map")
        .registerVariable("now", TIMESTAMP),
    ),
  };
  return environments;
}

function stringLiteral(node: ASTNode | undefined): string | undefined {
  return node !== undefined && node.op === "value" && typeof node.args === "string" ? node.args : undefined;
}

type ArgCheck = (value: string) => void;
const clock: ArgCheck = (v) => void parseClock(v);
const zone: ArgCheck = (v) => {
  if (!isValidTimeZone(v)) throw new Error(`unknown time zone "${v}"`);
};
const localDateTime: ArgCheck = (v) => void parseLocalDateTime(v);
const glob: ArgCheck = (v) => void compileGlob(v);

/** Literal arguments checked at load time, by function name and argument position. */
const LITERAL_CHECKS: Readonly<Record<string, ReadonlyArray<ArgCheck | undefined>>> = {
  inWindow: [undefined, clock, clock, zone],
  inPeriod: [undefined, localDateTime, localDateTime, zone],
  globMatch: [undefined, glob],
};

function checkLiterals(node: ASTNode, issues: ConditionIssue[]): void {
  if (node.op === "call") {
    const [fn, args] = node.args;
    const checks = LITERAL_CHECKS[fn];
    if (checks !== undefined) {
      checks.forEach((check, i) => {
        const arg = args[i];
        const literal = stringLiteral(arg);
        if (check === undefined || arg === undefined || literal === undefined) return;
        try {
          check(literal);
        } catch (err) {
          issues.push({ offset: arg.range.start, message: `${fn}: ${(err as Error).message}` });
        }
      });
      const days = args[4];
      if (fn === "inWindow" && days !== undefined && days.op === "list") {
        for (const d of days.args) {
          const literal = stringLiteral(d);
          if (literal === undefined) continue;
          try {
            parseWeekday(literal);
          } catch (err) {
            issues.push({ offset: d.range.start, message: `inWindow: ${(err as Error).message}` });
          }
        }
      }
    }
  }
  for (const child of children(node)) checkLiterals(child, issues);
}

function children(node: ASTNode): ASTNode[] {
  switch (node.op) {
    case "value":
    case "id":
      return [];
    case ".":
    case ".?":
      return [node.args[0]];
    case "call":
      return node.args[1];
    case "rcall":
      return [node.args[1], ...node.args[2]];
    case "list":
      return node.args;
    case "map":
      return node.args.flat();
    case "!_":
    case "-_":
      return [node.args];
    default:
      return [...(node.args as readonly ASTNode[])];
  }
}

function summary(err: unknown): { offset: number; message: string } {
  const e = err as { summary?: unknown; message?: unknown; range?: { start?: unknown } };
  const message = typeof e.summary === "string" ? e.summary : (String(e.message ?? err).split("\n")[0] ?? "");
  const offset = typeof e.range?.start === "number" ? e.range.start : 0;
  return { offset, message };
}

const compiled = new Map<string, CompileConditionResult>();
const MAX_COMPILED = 10_000;

/**
 * Parses, type-checks and validates a condition once; the result is cached by expression text.
 * A condition must have type bool.
 */
export function compileCondition(expression: string): CompileConditionResult {
  const hit = compiled.get(expression);
  if (hit !== undefined) return hit;
  const result = compileUncached(expression);
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(expression, result);
  return result;
}

function compileUncached(expression: string): CompileConditionResult {
  const { check, run } = getEnvironments();
  const checked = check.check(expression);
  if (!checked.valid) {
    const { offset, message } = summary(checked.error);
    const kind = checked.error?.name === "ParseError" ? "CEL syntax error" : "CEL type error";
    return { ok: false, issues: [{ offset, message: `${kind}: ${message}` }] };
  }
  if (checked.type !== "bool") {
    return {
      ok: false,
      issues: [
        {
          offset: 0,
          message: `CEL type error: a condition must be bool, this one is ${checked.type ?? "unknown"}`,
        },
      ],
    };
  }
  let parsed: ReturnType<Environment["parse"]>;
  try {
    parsed = run.parse(expression);
  } catch (err) {
    return { ok: false, issues: [{ ...summary(err), message: `CEL syntax error: ${summary(err).message}` }] };
  }
  const issues: ConditionIssue[] = [];
  checkLiterals(parsed.ast, issues);
  if (issues.length > 0) return { ok: false, issues };
  const fn = parsed as (context: Activation) => unknown;
  const guard = falseWhenAbsent(parsed.ast);
  return guard === undefined ? { ok: true, run: fn } : { ok: true, run: fn, guard };
}

/** `has(request.<field>)` → the field name. */
function hasRequestField(node: ASTNode): string | undefined {
  if (node.op !== "call" || node.args[0] !== "has") return undefined;
  const arg = node.args[1][0];
  if (arg?.op !== ".") return undefined;
  const [target, field] = arg.args;
  return target.op === "id" && target.args === "request" ? field : undefined;
}

/** Same test as CEL's has() on a plain object: an own property that is not undefined. */
function present(request: ActionRequest, field: string): boolean {
  return (
    Object.hasOwn(request, field) && (request as unknown as Record<string, unknown>)[field] !== undefined
  );
}

/**
 * A cheap pre-check read off the condition's AST at load time: when the condition is a
 * conjunction / disjunction whose outcome is already false because `has(request.x)` (or
 * `!has(request.x)`) fails, the evaluator skips the CEL call. CEL's && and || absorb errors on the
 * other side (false && error == false), so skipping never changes a result; the property test
 * checks this against a reference evaluator.
 */
function falseWhenAbsent(node: ASTNode): PresenceGuard | undefined {
  const field = hasRequestField(node);
  if (field !== undefined) return (r) => !present(r, field);
  if (node.op === "!_") {
    const negated = hasRequestField(node.args);
    return negated === undefined ? undefined : (r) => present(r, negated);
  }
  if (node.op === "&&" || node.op === "||") {
    const left = falseWhenAbsent(node.args[0]);
    const right = falseWhenAbsent(node.args[1]);
    if (node.op === "||")
      return left !== undefined && right !== undefined ? (r) => left(r) && right(r) : undefined;
    if (left !== undefined && right !== undefined) return (r) => left(r) || right(r);
    return left ?? right;
  }
  return undefined;
}
