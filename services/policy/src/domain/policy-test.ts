import { z } from "zod";
import type { ActionRequest } from "./action-request.ts";
import { actionRequestSchema } from "./action-request.ts";
import type { BundleIssue } from "./bundle-error.ts";
import type { Decision } from "./decision.ts";
import type { Evaluator } from "./evaluator.ts";
import { BUILTIN } from "./evaluator.ts";
import type { StopState } from "./stop-state.ts";
import { STOP_CLEAR, stopStateSchema } from "./stop-state.ts";
import type { UsageSnapshot } from "./usage.ts";
import { USAGE_NONE, usageSnapshotSchema } from "./usage.ts";
import { locate, parseYaml, validateYaml } from "./yaml-source.ts";

/**
 * Policy tests (`warden policy test DIR`, like `opa test`): YAML files in the bundle's tests/
 * directory, each a list of request → expected decision. See governance/README.md.
 */

/** Evaluation time of a test that names none: a Wednesday, noon UTC, so tests are deterministic. */
export const DEFAULT_TEST_TIME = "2026-01-07T12:00:00Z";

const isoTime = z.iso.datetime({ offset: true });

const testFileSchema = z.strictObject({
  defaults: z
    .strictObject({
      time: isoTime.optional(),
      stopState: stopStateSchema.optional(),
      usage: usageSnapshotSchema.optional(),
    })
    .default({}),
  tests: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        /** Evaluation time (`now` in conditions). */
        time: isoTime.optional(),
        stopState: stopStateSchema.optional(),
        /** The agent's usage before the request (rate and budget limits); default: none. */
        usage: usageSnapshotSchema.optional(),
        /** Identity the transport established; default: request.agentId. */
        authenticatedAgent: z.string().min(1).optional(),
        request: z.strictObject({
          ...actionRequestSchema.shape,
          actionId: actionRequestSchema.shape.actionId.optional(),
        }),
        expect: z.strictObject({
          outcome: z.enum(["allow", "deny", "approval_required"]),
          /** Each must be among the matched rule ids (enforced or shadow). */
          rules: z.array(z.string().min(1)).default([]),
          /** None of these may match. */
          notRules: z.array(z.string().min(1)).default([]),
          /** Each must occur in one of the decision's reasons. */
          reasonContains: z.array(z.string().min(1)).default([]),
          riskLevel: z.string().min(1).optional(),
          approval: z
            .strictObject({
              workflow: z.string().min(1).optional(),
              minApprovers: z.number().int().min(0).optional(),
              /** Compared as a set. */
              requiredRoles: z.array(z.string()).optional(),
              aiMayRecommend: z.boolean().optional(),
              timeoutSeconds: z.number().int().min(0).optional(),
            })
            .optional(),
        }),
      }),
    )
    .min(1, "a test file needs at least one test"),
});

type TestFile = z.output<typeof testFileSchema>;
type TestSpec = TestFile["tests"][number];

export interface PolicyTestCase {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly time: string;
  readonly stopState: StopState;
  readonly usage: UsageSnapshot;
  readonly authenticatedAgent: string;
  readonly request: ActionRequest;
  readonly expect: TestSpec["expect"];
}

export interface PolicyTestResult {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly passed: boolean;
  /** What differed, one line each. */
  readonly failures: readonly string[];
  readonly decision: Decision;
}

export function parsePolicyTestFile(
  file: string,
  text: string,
): { ok: true; cases: PolicyTestCase[] } | { ok: false; issues: BundleIssue[] } {
  const { yaml, issues } = parseYaml(file, text);
  if (issues.length > 0) return { ok: false, issues };
  const result = validateYaml(yaml, testFileSchema);
  if (!result.ok) return { ok: false, issues: result.issues };
  const { defaults, tests } = result.value;
  const cases = tests.map((t, i): PolicyTestCase => {
    const { actionId, ...rest } = t.request;
    return {
      file,
      line: locate(yaml, ["tests", i]).line,
      name: t.name,
      time: t.time ?? defaults.time ?? DEFAULT_TEST_TIME,
      stopState: t.stopState ?? defaults.stopState ?? STOP_CLEAR,
      usage: t.usage ?? defaults.usage ?? USAGE_NONE,
      authenticatedAgent: t.authenticatedAgent ?? t.request.agentId,
      request: { actionId: actionId ?? `test:${file}:${i}`, ...rest },
      expect: t.expect,
    };
  });
  return { ok: true, cases };
}

const KNOWN_BUILTINS: ReadonlySet<string> = new Set(Object.values(BUILTIN));

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export function runPolicyTestCase(evaluator: Evaluator, test: PolicyTestCase): PolicyTestResult {
  const decision = evaluator.evaluate(test.request, {
    authenticatedAgentId: test.authenticatedAgent,
    stopState: test.stopState,
    usage: test.usage,
    now: Date.parse(test.time),
  });
  const failures: string[] = [];
  const { expect } = test;
  const matched = decision.matched.map((m) => m.ruleId);
  const known = new Set(evaluator.bundle.rules.map((r) => r.id));
  if (decision.outcome !== expect.outcome) {
    failures.push(
      `outcome: expected ${expect.outcome}, got ${decision.outcome} (${decision.reasons.join("; ")})`,
    );
  }
  for (const id of [...expect.rules, ...expect.notRules]) {
    if (!known.has(id) && !KNOWN_BUILTINS.has(id)) failures.push(`rule id "${id}" is not in the bundle`);
  }
  for (const id of expect.rules)
    if (!matched.includes(id))
      failures.push(`rules: expected ${id} to match; matched [${matched.join(", ")}]`);
  for (const id of expect.notRules) if (matched.includes(id)) failures.push(`notRules: ${id} matched`);
  for (const text of expect.reasonContains) {
    if (!decision.reasons.some((r) => r.includes(text)))
      failures.push(`reasonContains: no reason contains "${text}" (reasons: ${decision.reasons.join("; ")})`);
  }
  if (expect.riskLevel !== undefined && decision.riskLevel !== expect.riskLevel) {
    failures.push(`riskLevel: expected ${expect.riskLevel}, got ${decision.riskLevel}`);
  }
  const want = expect.approval;
  if (want !== undefined) {
    const got = decision.approval;
    if (got === undefined) failures.push("approval: expected an approval requirement, got none");
    else {
      if (want.workflow !== undefined && got.workflow !== want.workflow)
        failures.push(`approval.workflow: expected ${want.workflow}, got ${got.workflow}`);
      if (want.minApprovers !== undefined && got.minApprovers !== want.minApprovers)
        failures.push(`approval.minApprovers: expected ${want.minApprovers}, got ${got.minApprovers}`);
      if (want.requiredRoles !== undefined && !sameSet(want.requiredRoles, got.requiredRoles)) {
        failures.push(
          `approval.requiredRoles: expected [${want.requiredRoles.join(", ")}], got [${got.requiredRoles.join(", ")}]`,
        );
      }
      if (want.aiMayRecommend !== undefined && got.aiMayRecommend !== want.aiMayRecommend)
        failures.push(
          `approval.aiMayRecommend: expected ${String(want.aiMayRecommend)}, got ${String(got.aiMayRecommend)}`,
        );
      if (want.timeoutSeconds !== undefined && got.timeoutSeconds !== want.timeoutSeconds)
        failures.push(`approval.timeoutSeconds: expected ${want.timeoutSeconds}, got ${got.timeoutSeconds}`);
    }
  }
  return {
    file: test.file,
    line: test.line,
    name: test.name,
    passed: failures.length === 0,
    failures,
    decision,
  };
}
