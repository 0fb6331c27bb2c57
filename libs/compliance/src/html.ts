// One self-contained HTML page of a report: inline CSS, no executable script, no font or CDN; every text
// escaped. The machine form (JSON) is embedded, so the page alone can be verified.
import type { ComplianceReport, ControlStatus } from "./report.ts";

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const esc = (text: string | number): string => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const LABEL: Readonly<Record<ControlStatus, string>> = {
  pass: "PASS",
  fail: "FAIL",
  manual: "MANUAL",
  "no-evidence": "NO EVIDENCE",
};

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;max-width:70rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin:1.6rem 0 .4rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;border-bottom:1px solid #d0d7de}
th{background:#f6f8fa}.s{font-weight:700;white-space:nowrap;border-radius:4px;padding:.1rem .45rem}
.pass{background:#dafbe1;color:#116329}.fail{background:#ffebe9;color:#a40e26}.manual{background:#fff8c5;color:#7d4e00}.no-evidence{background:#eaeef2;color:#424a53}
.meta{color:#57606a}code{font-size:.9em;background:#f6f8fa;padding:0 .2rem}ul{margin:.2rem 0;padding-left:1.2rem}
details{margin-top:.3rem}summary{cursor:pointer;color:#0969da}`;

const seqs = (list: readonly number[]): string =>
  list.length === 0
    ? "—"
    : list.length > 40
      ? `${list.slice(0, 40).join(", ")} … (${list.length})`
      : list.join(", ");

export function renderReportHtml(report: ComplianceReport): string {
  const v = report.trail.verification;
  const chain =
    v === null
      ? "no record in the period"
      : v.ok
        ? `verified: seq ${v.fromSeq}..${v.toSeq}, ${v.recordsChecked} records, ${v.checkpointsChecked} signed checkpoints (${esc(v.checkpointSource)})`
        : `DOES NOT VERIFY: first bad seq ${v.firstBadSeq} (${esc(v.problem)}: ${esc(v.detail)})`;
  const rows = report.controls
    .map((c) => {
      const checks = c.checks
        .map((k) => {
          const findings =
            k.findings.length === 0
              ? ""
              : `<ul>${k.findings
                  .map(
                    (f) =>
                      `<li>${f.seq === undefined ? "" : `seq ${esc(f.seq)}: `}${f.actionId === undefined || f.actionId === "" ? "" : `<code>${esc(f.actionId)}</code> `}${esc(f.message)}</li>`,
                  )
                  .join("")}</ul>`;
          return `<li><span class="s ${k.status}">${LABEL[k.status]}</span> <code>${esc(k.check)}</code> ${esc(k.summary)}${findings}<div class="meta">records: ${esc(seqs(k.evidence))}</div></li>`;
        })
        .join("");
      const manual =
        c.manual === undefined
          ? ""
          : `<div><strong>Manual evidence:</strong> ${esc(c.manual.evidence)} — attach to ${esc(c.manual.attachTo)}</div>`;
      return `<tr><td><span class="s ${c.status}">${LABEL[c.status]}</span></td><td><strong>${esc(c.ref)}</strong></td><td><strong>${esc(c.title)}</strong><div>${esc(c.summary)}</div>${checks === "" ? "" : `<details><summary>checks and records</summary><ul>${checks}</ul></details>`}${manual}</td></tr>`;
    })
    .join("\n");
  const s = report.summary;
  const signature =
    report.signature === undefined
      ? "unsigned"
      : `Ed25519, key <code>${esc(report.signature.keyId)}</code>; verify with <code>warden compliance verify</code>`;
  const json = JSON.stringify(report).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(report.title)} — Warden compliance report</title><style>${CSS}</style></head>
<body><main>
<h1>${esc(report.title)}</h1>
<p class="meta">Period ${esc(report.period.from)} to ${esc(report.period.to)} · generated ${esc(report.generatedAt)} · ${esc(report.trail.records)} audit records (seq ${esc(report.trail.firstSeq)}..${esc(report.trail.lastSeq)})</p>
<p>Audit chain: ${chain}<br>Signature: ${signature}</p>
<h2>Summary</h2>
<p><span class="s pass">${s.pass} PASS</span> <span class="s fail">${s.fail} FAIL</span> <span class="s manual">${s.manual} MANUAL</span> <span class="s no-evidence">${s["no-evidence"]} NO EVIDENCE</span></p>
<p class="meta">Manual controls are never marked compliant from the trail: their evidence must be attached where each says.</p>
<h2>Controls</h2>
<table><thead><tr><th scope="col">Status</th><th scope="col">Ref.</th><th scope="col">Control and what the trail shows</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<script type="application/json" id="warden-compliance-report">${json}</script>
</main></body></html>
`;
}
