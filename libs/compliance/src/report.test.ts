import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FRAMEWORK_DEFINITIONS, FRAMEWORKS } from "./controls.ts";
import { renderReportHtml } from "./html.ts";
import { buildReport, controlStatus, type ComplianceReport } from "./report.ts";
import { reportDigest, signReport, verifyReportSignature } from "./sign.ts";
import { trail } from "./testing/trail.ts";

const period = { from: "2026-10-01T00:00:00Z", to: "2027-01-01T00:00:00Z" };
const verification = {
  ok: true,
  fromSeq: 1,
  toSeq: 10,
  recordsChecked: 10,
  checkpointsChecked: 1,
  firstBadSeq: 0,
  problem: "",
  detail: "",
  checkpointSource: "STREAM",
};

function soc2(approvers: { id: string; roles: string[] }[]): ComplianceReport {
  const t = trail();
  t.approvedChange({
    actionId: "a1",
    minApprovers: 2,
    approvers,
    ai: { model: "release-model", rationale: "tests green" },
  });
  return buildReport({
    framework: "soc2",
    period,
    records: t.records,
    verification,
    generatedAt: "2027-01-02T00:00:00Z",
  });
}

const control = (r: ComplianceReport, id: string) => r.controls.find((c) => c.id === id);

describe("buildReport", () => {
  it("SOC 2: a control that holds, the planted violation caught, a manual control never compliant", () => {
    const good = soc2([
      { id: "dave", roles: ["team-lead"] },
      { id: "erin", roles: ["security-lead"] },
    ]);
    expect(control(good, "soc2.cc8.1-approvals")).toMatchObject({ status: "pass", ref: "CC8.1" });
    expect(control(good, "soc2.cc4.1-log-integrity")?.status).toBe("pass");
    expect(control(good, "soc2.cc1.4-training")).toMatchObject({
      status: "manual",
      manual: { attachTo: expect.stringContaining("soc2/CC1.4") as unknown },
    });
    const bad = soc2([{ id: "dave", roles: ["team-lead"] }]);
    const cc81 = control(bad, "soc2.cc8.1-approvals");
    expect(cc81?.status).toBe("fail");
    expect(cc81?.checks[0]?.findings[0]).toMatchObject({ seq: 3, actionId: "a1" });
    expect(bad.summary.fail).toBeGreaterThanOrEqual(1);
    expect(bad.trail).toMatchObject({ records: 5, firstSeq: 1, lastSeq: 5 });
  });

  it("every framework's controls are evaluated; the EU AI Act covers articles 9 to 15", () => {
    for (const framework of FRAMEWORKS) {
      const r = buildReport({ framework, period, records: [], verification: undefined, generatedAt: "x" });
      expect(r.controls).toHaveLength(FRAMEWORK_DEFINITIONS[framework].controls.length);
      expect(r.controls.every((c) => c.status !== "pass")).toBe(true);
    }
    const ai = buildReport({
      framework: "eu-ai-act",
      period,
      records: [],
      verification: undefined,
      generatedAt: "x",
    });
    expect(ai.controls.map((c) => c.ref)).toEqual([
      "Art. 9",
      "Art. 10",
      "Art. 11",
      "Art. 12",
      "Art. 13",
      "Art. 14",
      "Art. 15",
    ]);
    expect(control(ai, "euaia.art11-technical-documentation")?.status).toBe("manual");
  });

  it("a control with manual evidence is manual when its checks hold, fail when one fails", () => {
    const pass = {
      check: "chain-verified" as const,
      status: "pass" as const,
      summary: "",
      evidence: [],
      findings: [],
    };
    expect(controlStatus([pass], true)).toBe("manual");
    expect(controlStatus([{ ...pass, status: "fail" }], true)).toBe("fail");
    expect(controlStatus([pass, { ...pass, status: "no-evidence" }], false)).toBe("no-evidence");
    expect(controlStatus([pass], false)).toBe("pass");
  });
});

describe("signing", () => {
  it("signs and verifies; any change to the report breaks the signature", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const other = generateKeyPairSync("ed25519").publicKey;
    const report = soc2([{ id: "dave", roles: [] }]);
    const signed = signReport(report, privateKey, "ed25519:test");
    expect(verifyReportSignature(signed, publicKey)).toBe(true);
    expect(verifyReportSignature(signed, other)).toBe(false);
    expect(verifyReportSignature({ ...signed, summary: { ...signed.summary, fail: 0 } }, publicKey)).toBe(
      false,
    );
    expect(reportDigest(signed)).toBe(reportDigest(report));
    expect(reportDigest(signed)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe("renderReportHtml", () => {
  it("is one self-contained page with every control and escaped text", () => {
    const t = trail();
    t.add({
      type: "warden.decision.made",
      actionId: "<script>alert(1)</script>",
      data: { outcome: "OUTCOME_ALLOW" },
    });
    const r = buildReport({ framework: "pci", period, records: t.records, verification, generatedAt: "now" });
    const html = renderReportHtml(r);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<link|src=|https?:\/\//);
    expect(html).not.toContain("<script>alert");
    for (const c of r.controls) expect(html).toContain(c.ref);
  });
});
