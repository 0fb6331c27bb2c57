import { join } from "node:path";
import type { ActionRequest, ApprovalRequirement, Explanation, StopState } from "@warden/policy";

export interface ExplainView {
  readonly dir: string;
  readonly bundleName: string;
  readonly authenticatedAgent: string;
  readonly request: ActionRequest;
  readonly stopState: StopState;
  readonly explanation: Explanation;
}

/** The decision, its matched rules and approval, then every gate and rule with why it (did not) match. */
export function formatExplanationText(view: ExplainView): string {
  const { decision, candidates, rules } = view.explanation;
  const out = [
    `outcome     ${decision.outcome}`,
    `agent       ${view.authenticatedAgent} (authenticated)`,
    `action      ${view.request.action} (actionId ${decision.actionId})`,
    `risk        ${decision.riskLevel}`,
    `bundle      ${view.bundleName} ${decision.bundleDigest}`,
    `evaluated   ${decision.evaluatedAt}`,
    `stop state  ${describeStopState(view.stopState)}`,
    "",
    "reasons",
    ...decision.reasons.map((r) => `  ${r}`),
    "",
    "matched rules",
    ...(decision.matched.length === 0
      ? ["  (none)"]
      : table(
          decision.matched.map((m) => [m.shadow ? `${m.effect} (shadow)` : m.effect, m.ruleId, m.reason]),
        )),
    "",
    ...formatApproval(decision.approval),
    "",
    `rules considered (the index selected ${candidates.length}: ${candidates.join(", ") || "none"})`,
    ...table(
      rules.map((r) => [
        r.status,
        r.shadow ? `${r.effect} (shadow)` : r.effect,
        r.ruleId,
        r.location === undefined
          ? r.detail
          : `${r.detail}  (${join(view.dir, r.location.file)}:${r.location.line})`,
      ]),
    ),
  ];
  return `${out.join("\n")}\n`;
}

/** Explanation as JSON, with the inputs that are not in the decision. */
export function formatExplanationJson(view: ExplainView): string {
  const { decision, candidates, rules } = view.explanation;
  const doc = {
    bundle: { name: view.bundleName, digest: decision.bundleDigest },
    authenticatedAgent: view.authenticatedAgent,
    request: view.request,
    stopState: view.stopState,
    decision,
    candidates,
    rules,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function formatApproval(a: ApprovalRequirement | undefined): string[] {
  if (a === undefined) return ["approval    none"];
  const list = (xs: readonly string[]) => (xs.length === 0 ? "none" : xs.join(", "));
  const ai = [
    a.aiRole === undefined ? undefined : `role ${a.aiRole}`,
    a.aiMayRecommend ? "may recommend" : "may not recommend",
    "never approves",
  ].filter((x) => x !== undefined);
  return [
    `approval    ${a.workflow}`,
    `  approvers   ${a.minApprovers}`,
    `  required    ${list(a.requiredRoles)}`,
    `  eligible    ${list(a.eligibleRoles)}`,
    `  timeout     ${duration(a.timeoutSeconds)} per escalation level`,
    `  escalation  ${list(a.escalation.map((e) => `${e.role} after ${duration(e.afterSeconds)}`))}`,
    `  AI          ${ai.join(", ")}`,
    `  notify      ${list(a.notify)}`,
  ];
}

function describeStopState(s: StopState): string {
  switch (s.kind) {
    case "clear":
      return "clear";
    case "unknown":
      return `unknown (${s.reason})`;
    case "active":
      return `active: ${s.scopes.map((sc) => (sc.kind === "global" ? "global" : `${sc.kind} ${sc.value ?? "?"}`)).join(", ")}`;
  }
}

/** `90` → `1m30s`, `1800` → `30m`, `86400` → `24h`. */
export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const parts = [h > 0 ? `${h}h` : "", m > 0 ? `${m}m` : "", s > 0 ? `${s}s` : ""].join("");
  return parts === "" ? "0s" : parts;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd());
}
