// A report: every control of one framework evaluated over one period's records, with the records
// that prove it linked by seq and the chain verification for them. Pure: the caller fetches the
// records and the verification (the CLI over AuditService Export and Verify).
import { CHECKS, type CheckId, type CheckResult } from "./checks.ts";
import { FRAMEWORK_DEFINITIONS, type Framework } from "./controls.ts";
import type { ChainVerification, EvidenceRecord, Period } from "./evidence.ts";

export type ControlStatus = "pass" | "fail" | "manual" | "no-evidence";

export const REPORT_SCHEMA = "warden.compliance.report/v1";

export interface ControlResult {
  readonly id: string;
  readonly ref: string;
  readonly title: string;
  readonly status: ControlStatus;
  readonly summary: string;
  readonly checks: readonly CheckResult[];
  readonly manual?: { readonly evidence: string; readonly attachTo: string };
}

export interface ReportSignature {
  readonly alg: "Ed25519";
  readonly keyId: string;
  /** base64 of the signature over the canonical JSON (RFC 8785) of the report without `signature`. */
  readonly value: string;
}

export interface ComplianceReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly framework: Framework;
  readonly title: string;
  readonly period: Period;
  readonly generatedAt: string;
  readonly trail: {
    readonly records: number;
    readonly firstSeq: number;
    readonly lastSeq: number;
    readonly verification: ChainVerification | null;
  };
  readonly summary: Readonly<Record<ControlStatus, number>>;
  readonly controls: readonly ControlResult[];
  readonly signature?: ReportSignature;
}

export interface BuildReportInput {
  readonly framework: Framework;
  readonly period: Period;
  readonly records: readonly EvidenceRecord[];
  readonly verification: ChainVerification | undefined;
  readonly generatedAt: string;
  readonly stopConsumers?: readonly string[];
}

/**
 * A control's status from its checks: any check failing fails it; a control that also needs manual
 * evidence is `manual` (never compliant from the trail alone); otherwise pass only when every check
 * passed, and no-evidence when some check had nothing to judge.
 */
export function controlStatus(checks: readonly CheckResult[], manual: boolean): ControlStatus {
  if (checks.some((c) => c.status === "fail")) return "fail";
  if (manual) return "manual";
  if (checks.length > 0 && checks.every((c) => c.status === "pass")) return "pass";
  return "no-evidence";
}

function controlSummary(
  status: ControlStatus,
  checks: readonly CheckResult[],
  manual: ControlResult["manual"],
): string {
  const trail = checks.map((c) => c.summary).join("; ");
  if (manual === undefined) return trail;
  const attach = `manual evidence needed: ${manual.evidence}, attached to ${manual.attachTo}`;
  if (checks.length === 0) return attach;
  return status === "fail" ? `${trail}; ${attach}` : `the trail shows: ${trail}; ${attach}`;
}

export function buildReport(input: BuildReportInput): ComplianceReport {
  const definition = FRAMEWORK_DEFINITIONS[input.framework];
  const checkInput = {
    records: input.records,
    verification: input.verification,
    period: input.period,
    stopConsumers: input.stopConsumers ?? [],
  };
  const cache = new Map<CheckId, CheckResult>();
  const run = (id: CheckId): CheckResult => {
    const done = cache.get(id) ?? CHECKS[id](checkInput);
    cache.set(id, done);
    return done;
  };
  const controls = definition.controls.map((c): ControlResult => {
    const checks = c.checks.map(run);
    const status = controlStatus(checks, c.manual !== undefined);
    return {
      id: c.id,
      ref: c.ref,
      title: c.title,
      status,
      summary: controlSummary(status, checks, c.manual),
      checks,
      ...(c.manual !== undefined && { manual: c.manual }),
    };
  });
  const summary: Record<ControlStatus, number> = { pass: 0, fail: 0, manual: 0, "no-evidence": 0 };
  for (const c of controls) summary[c.status] += 1;
  const seqs = input.records.map((r) => r.seq);
  return {
    schema: REPORT_SCHEMA,
    framework: input.framework,
    title: definition.title,
    period: input.period,
    generatedAt: input.generatedAt,
    trail: {
      records: input.records.length,
      firstSeq: seqs.reduce((a, b) => (a === 0 || b < a ? b : a), 0),
      lastSeq: seqs.reduce((a, b) => (b > a ? b : a), 0),
      verification: input.verification ?? null,
    },
    summary,
    controls,
  };
}
