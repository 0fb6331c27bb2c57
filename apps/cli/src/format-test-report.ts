import { join } from "node:path";
import type { Decision, PolicyTestReport, PolicyTestResult } from "@warden/policy";

/** `N passed, M failed` — CI tooling parses this line; keep its form. */
export function summaryLine(report: PolicyTestReport): string {
  return `${report.passed} passed, ${report.failed} failed`;
}

/**
 * One line per test, `PASS|FAIL file:line name`, each failure's differences indented under it;
 * `verbose` adds every test's decision. Ends with the summary line.
 */
export function formatTestReportText(dir: string, report: PolicyTestReport, verbose: boolean): string {
  const out = [`bundle ${report.bundle.name} ${report.bundle.digest}`];
  for (const r of report.results) {
    out.push(`${r.passed ? "PASS" : "FAIL"} ${join(dir, r.file)}:${r.line} ${r.name}`);
    for (const failure of r.failures) out.push(`       ${failure}`);
    if (verbose) out.push(...describeDecision(r.decision).map((line) => `       ${line}`));
  }
  out.push(summaryLine(report));
  return `${out.join("\n")}\n`;
}

function describeDecision(d: Decision): string[] {
  const matched = d.matched.map((m) => (m.shadow ? `${m.ruleId} (shadow)` : m.ruleId));
  const lines = [`decision: ${d.outcome}, risk ${d.riskLevel}, matched [${matched.join(", ")}]`];
  for (const reason of d.reasons) lines.push(`reason: ${reason}`);
  if (d.approval !== undefined) {
    const a = d.approval;
    const roles = a.requiredRoles.length > 0 ? `, required roles [${a.requiredRoles.join(", ")}]` : "";
    lines.push(
      `approval: ${a.workflow}, ${a.minApprovers} approver${a.minApprovers === 1 ? "" : "s"}${roles}`,
    );
  }
  return lines;
}

/** The report as JSON (files relative to the working directory), for machines. */
export function formatTestReportJson(dir: string, report: PolicyTestReport): string {
  const results = report.results.map((r) => ({ ...r, file: join(dir, r.file) }));
  return `${JSON.stringify({ ...report, results }, null, 2)}\n`;
}

/** JUnit XML (one testsuite per test file), which CI systems render as test results. */
export function formatTestReportJunit(dir: string, report: PolicyTestReport): string {
  const byFile = new Map<string, PolicyTestResult[]>();
  for (const r of report.results) {
    const list = byFile.get(r.file) ?? [];
    list.push(r);
    byFile.set(r.file, list);
  }
  const total = report.passed + report.failed;
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${xml(`warden policy test ${dir}`)}" tests="${total}" failures="${report.failed}" errors="0">`,
  ];
  for (const [file, results] of byFile) {
    const failures = results.filter((r) => !r.passed).length;
    out.push(
      `  <testsuite name="${xml(join(dir, file))}" tests="${results.length}" failures="${failures}" errors="0">`,
    );
    for (const r of results) {
      const attrs = `classname="${xml(`${report.bundle.name}.${file}`)}" name="${xml(r.name)}" file="${xml(join(dir, r.file))}" line="${r.line}"`;
      if (r.passed) {
        out.push(`    <testcase ${attrs}/>`);
        continue;
      }
      out.push(`    <testcase ${attrs}>`);
      out.push(
        `      <failure message="${xml(r.failures[0] ?? "failed")}" type="PolicyTestFailure">${xml(r.failures.join("\n"))}</failure>`,
      );
      out.push(`    </testcase>`);
    }
    out.push(`  </testsuite>`);
  }
  out.push(`</testsuites>`);
  return `${out.join("\n")}\n`;
}

// Escaping for attribute values and text; characters XML 1.0 cannot carry are dropped.
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const XML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

function xml(text: string): string {
  return text.replace(XML_INVALID, "").replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}
