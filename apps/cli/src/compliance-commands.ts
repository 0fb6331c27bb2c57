// `warden compliance report | verify` (libs/compliance, ADR compliance-evidence-reports): the
// period's records from AuditService Export, the chain from Verify, the report signed with an
// Ed25519 key and recorded through AuditService RecordReport — public APIs with the caller's token.
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { Option } from "commander";
import { auditV1, commonV1 } from "@warden/contracts";
import {
  FRAMEWORKS,
  buildReport,
  renderReportHtml,
  reportDigest,
  signReport,
  verifyReportSignature,
  type ChainVerification,
  type ComplianceReport,
  type EvidenceRecord,
  type Framework,
} from "@warden/compliance";
import { CliInputError, EXIT } from "./cli-error.ts";
import type { CommandContext } from "./command-context.ts";
import { printJson } from "./output.ts";
import { parseDate } from "./parse-service-options.ts";

const ACTOR: Partial<Record<commonV1.ActorType, EvidenceRecord["actor"]["type"]>> = {
  [commonV1.ActorType.ACTOR_TYPE_HUMAN]: "human",
  [commonV1.ActorType.ACTOR_TYPE_AI_AGENT]: "ai_agent",
  [commonV1.ActorType.ACTOR_TYPE_SERVICE]: "service",
};
const ENVIRONMENT: Partial<Record<commonV1.Environment, string>> = {
  [commonV1.Environment.ENVIRONMENT_PRODUCTION]: "production",
  [commonV1.Environment.ENVIRONMENT_STAGING]: "staging",
  [commonV1.Environment.ENVIRONMENT_DEVELOPMENT]: "development",
};
const RETENTION: Partial<Record<auditV1.RetentionClass, string>> = {
  [auditV1.RetentionClass.RETENTION_CLASS_PRODUCTION]: "production-7y",
  [auditV1.RetentionClass.RETENTION_CLASS_STAGING]: "staging-1y",
  [auditV1.RetentionClass.RETENTION_CLASS_DEVELOPMENT]: "development-90d",
};

/** warden.audit.v1.AuditRecord → the library's plain EvidenceRecord. */
export function evidenceOf(r: auditV1.AuditRecord): EvidenceRecord {
  return {
    seq: r.seq,
    type: r.type,
    time: r.time?.toISOString() ?? "",
    actor: {
      type: (r.actor === undefined ? undefined : ACTOR[r.actor.type]) ?? "unknown",
      id: r.actor?.id ?? "",
      roles: r.actor?.roles ?? [],
    },
    actionId: r.actionId,
    agentId: r.agentId,
    action: r.action,
    environment: ENVIRONMENT[r.environment] ?? "",
    outcome: r.outcome,
    bundleDigest: r.bundleDigest,
    ai: r.ai === undefined ? undefined : { model: r.ai.model, rationale: r.ai.rationale },
    retentionClass: RETENTION[r.retentionClass] ?? "",
    retainUntil: r.retainUntil?.toISOString() ?? "",
    data: r.data ?? {},
  };
}

function readText(value: string, flag: string): string {
  try {
    return value.includes("-----BEGIN") || !/[/.]/.test(value) ? value : readFileSync(value, "utf8");
  } catch (err) {
    throw new CliInputError([
      `${flag} ${value}: cannot read: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
}

type ReportOptions = {
  framework: Framework;
  from?: Date;
  to?: Date;
  html?: boolean;
  output?: string;
  signingKey?: string;
  consumer?: string[];
  record: boolean;
};

export function registerComplianceCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const compliance = program
    .command("compliance")
    .description("compliance evidence reports from the audit trail (SOC 2, HIPAA, PCI DSS, EU AI Act)");

  compliance
    .command("report")
    .description(
      "evaluate a framework's controls over a period of the audit trail; sign and record the report",
    )
    .addOption(new Option("--framework <name>", "the framework").choices(FRAMEWORKS).makeOptionMandatory())
    .option("--from <time>", "period start (default: 90 days ago)", parseDate)
    .option("--to <time>", "period end, exclusive (default: now)", parseDate)
    .option("--html", "print one self-contained HTML page instead of text", false)
    .option("-o, --output <file>", "write the report (JSON, or HTML with --html) to this file")
    .option(
      "--signing-key <file|base64>",
      "Ed25519 private key (PKCS#8 PEM file or base64 seed) to sign with",
    )
    .option(
      "--consumer <id>",
      "a consumer that must acknowledge every emergency stop (repeatable; default: every one seen)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--no-record", "do not record the report in the audit trail")
    .addHelpText(
      "after",
      "\nExit 0 report made (whatever the controls' statuses), 1 refused, 2 usage, 3 audit unreachable." +
        "\n\nExample:\n  warden compliance report --framework soc2 --from 2026-10-01 --to 2027-01-01 --signing-key report.pem -o soc2.json",
    )
    .action(async (opts: ReportOptions, command: Command) => {
      const remote = ctx.remote(command);
      const client = remote.client(auditV1.AuditServiceDefinition, "audit");
      const to = opts.to ?? new Date();
      const from = opts.from ?? new Date(to.getTime() - 90 * 86_400_000);
      if (from.getTime() >= to.getTime()) throw new CliInputError(["--to: must be after --from"]);
      const { parseSigningKey, signingKeyId } = await import("@warden/audit");
      const { createPublicKey } = await import("node:crypto");
      const key =
        opts.signingKey === undefined
          ? undefined
          : (() => {
              try {
                return parseSigningKey(readText(opts.signingKey, "--signing-key"), "--signing-key");
              } catch (err) {
                throw new CliInputError([
                  `--signing-key: ${err instanceof Error ? err.message : String(err)}`,
                ]);
              }
            })();
      const records: EvidenceRecord[] = [];
      await remote.call("audit", async () => {
        const filter = auditV1.AuditFilter.fromPartial({ startTime: from, endTime: to });
        for await (const { record } of client.export({ filter }, remote.stream())) {
          if (record !== undefined) records.push(evidenceOf(record));
        }
      });
      let verification: ChainVerification | undefined;
      if (records.length > 0) {
        const fromSeq = records[0]?.seq ?? 1;
        const toSeq = records.at(-1)?.seq ?? fromSeq;
        const v = await remote.call("audit", () => client.verify({ fromSeq, toSeq }, remote.stream()));
        verification = {
          ok: v.ok,
          fromSeq,
          toSeq,
          recordsChecked: v.recordsChecked,
          checkpointsChecked: v.checkpointsChecked,
          firstBadSeq: v.firstBadSeq,
          problem: v.ok ? "" : auditV1.problemToJSON(v.problem),
          detail: v.detail,
          checkpointSource: auditV1
            .checkpointSourceToJSON(v.checkpointSource)
            .replace("CHECKPOINT_SOURCE_", ""),
        };
      }
      let report: ComplianceReport = buildReport({
        framework: opts.framework,
        period: { from: from.toISOString(), to: to.toISOString() },
        records,
        verification,
        generatedAt: new Date().toISOString(),
        stopConsumers: opts.consumer ?? [],
      });
      let eventId = "";
      if (key !== undefined) {
        const keyId = signingKeyId(createPublicKey(key));
        report = signReport(report, key, keyId);
        if (opts.record) {
          const res = await remote.call("audit", () =>
            client.recordReport(
              {
                reportDigest: reportDigest(report),
                framework: report.framework,
                periodStart: from,
                periodEnd: to,
                keyId,
                signature: report.signature?.value ?? "",
                summary: {
                  pass: report.summary.pass,
                  fail: report.summary.fail,
                  manual: report.summary.manual,
                  noEvidence: report.summary["no-evidence"],
                },
                firstSeq: report.trail.firstSeq,
                lastSeq: report.trail.lastSeq,
              },
              remote.unary(),
            ),
          );
          eventId = res.eventId;
        }
      } else if (opts.record) {
        io.err("unsigned: give --signing-key to sign the report and record it in the audit trail\n");
      }
      const body = opts.html === true ? renderReportHtml(report) : `${JSON.stringify(report, null, 2)}\n`;
      if (opts.output !== undefined) {
        try {
          writeFileSync(opts.output, body);
        } catch (err) {
          throw new CliInputError([
            `--output ${opts.output}: cannot write: ${err instanceof Error ? err.message : String(err)}`,
          ]);
        }
      }
      const s = report.summary;
      const line = `${report.title}: ${s.pass} pass, ${s.fail} fail, ${s.manual} manual, ${s["no-evidence"]} no-evidence over ${records.length} records${eventId === "" ? "" : `; recorded as event ${eventId}`}\n`;
      if (opts.output === undefined && (remote.json || opts.html === true)) io.out(body);
      else if (remote.json)
        printJson(io, { file: opts.output, digest: reportDigest(report), eventId, summary: s });
      else {
        io.out(line);
        for (const c of report.controls)
          io.out(`  ${c.status.toUpperCase().padEnd(11)} ${c.ref.padEnd(22)} ${c.title}\n`);
      }
      ctx.exit(EXIT.ok);
    });

  compliance
    .command("verify")
    .description("check a report's signature and that its record is in the verified audit trail")
    .argument("<report.json>", "a report written by `warden compliance report`")
    .option("--public-key <file|base64>", "the signer's Ed25519 public key (SPKI PEM file or base64)")
    .addHelpText(
      "after",
      "\nExit 0 verified, 1 bad signature / not recorded / chain broken, 2 usage, 3 audit unreachable.",
    )
    .action(async (file: string, opts: { publicKey?: string }, command: Command) => {
      let report: ComplianceReport;
      try {
        report = JSON.parse(readFileSync(file, "utf8")) as ComplianceReport;
      } catch (err) {
        throw new CliInputError([
          `${file}: not a report: ${err instanceof Error ? err.message : String(err)}`,
        ]);
      }
      if (opts.publicKey === undefined)
        throw new CliInputError(["--public-key: required (the signer's public key)"]);
      const { parsePublicKey, signingKeyId } = await import("@warden/audit");
      let publicKey;
      try {
        publicKey = parsePublicKey(readText(opts.publicKey, "--public-key"), "--public-key");
      } catch (err) {
        throw new CliInputError([`--public-key: ${err instanceof Error ? err.message : String(err)}`]);
      }
      const problems: string[] = [];
      const signed = verifyReportSignature(report, publicKey);
      if (!signed) problems.push("the signature does not verify with this key");
      if (report.signature?.keyId !== signingKeyId(publicKey))
        problems.push("the report names another key id");
      const digest = reportDigest(report);
      const remote = ctx.remote(command);
      const client = remote.client(auditV1.AuditServiceDefinition, "audit");
      let seq = 0;
      await remote.call("audit", async () => {
        const filter = auditV1.AuditFilter.fromPartial({ types: ["warden.compliance.report_recorded"] });
        for await (const { record } of client.export({ filter }, remote.stream())) {
          const data = (record?.data ?? {}) as Record<string, unknown>;
          if (data.reportDigest === digest && data.signature === report.signature?.value)
            seq = record?.seq ?? 0;
        }
      });
      let chainOk = false;
      if (seq === 0) problems.push(`no warden.compliance.report_recorded record with digest ${digest}`);
      else {
        const from = report.trail.firstSeq > 0 ? report.trail.firstSeq : 1;
        const v = await remote.call("audit", () =>
          client.verify({ fromSeq: from, toSeq: seq }, remote.stream()),
        );
        chainOk = v.ok;
        if (!v.ok)
          problems.push(
            `the chain seq ${from}..${seq} does not verify: first bad seq ${v.firstBadSeq} (${v.detail})`,
          );
      }
      const ok = problems.length === 0;
      if (remote.json)
        printJson(io, {
          ok,
          digest,
          signatureValid: signed,
          recordSeq: seq,
          chainVerified: chainOk,
          problems,
        });
      else if (ok)
        io.out(
          `OK: signature valid (${report.signature?.keyId ?? ""}); recorded at seq ${seq}; chain verifies\n`,
        );
      else io.out(`NOT VERIFIED:\n${problems.map((p) => `  - ${p}\n`).join("")}`);
      ctx.exit(ok ? EXIT.ok : EXIT.failed);
    });
}
