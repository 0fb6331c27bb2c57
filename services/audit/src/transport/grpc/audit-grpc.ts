// gRPC AuditService: Query, Verify, Export, Tail. Authentication comes from the server's auth
// middleware; scoping and recording each read happen in the use case (app/audit-reader.ts).
import { auditV1 } from "@warden/contracts";
import type { GrpcServiceRegistration, WardenCallContext } from "@warden/grpc";
import { grpcService, InvalidArgumentError } from "@warden/grpc";
import type { Reader } from "../../app/access-scope.ts";
import type { AuditReader } from "../../app/audit-reader.ts";
import type { RecordedReport } from "../../app/ports.ts";
import type { ReportRecorder } from "../../app/record-report.ts";
import {
  afterSeqFromToken,
  filterFromWire,
  pageSizeFromWire,
  pageTokenFor,
  recordToWire,
  verifyResultToWire,
} from "./audit-wire.ts";
import { teamOf } from "./team-claim-verifier.ts";

function readerOf(context: WardenCallContext): Reader {
  const p = context.principal;
  return { id: p.id, type: p.type, name: p.name, roles: p.roles, team: teamOf(p) };
}

const FRAMEWORKS = ["soc2", "hipaa", "pci", "eu-ai-act"] as const;

/** RecordReportRequest → RecordedReport, every problem named by field. */
export function reportFromWire(request: auditV1.RecordReportRequest): RecordedReport {
  const violations: { field: string; reason: string }[] = [];
  if (!/^sha256:[0-9a-f]{64}$/.test(request.reportDigest))
    violations.push({ field: "report_digest", reason: "must be sha256:<64 lowercase hex>" });
  const framework = FRAMEWORKS.find((f) => f === request.framework);
  if (framework === undefined)
    violations.push({ field: "framework", reason: `must be one of ${FRAMEWORKS.join(", ")}` });
  if (request.keyId === "" || request.keyId.length > 128)
    violations.push({ field: "key_id", reason: "must be 1 to 128 characters" });
  if (!/^[A-Za-z0-9+/]{86}==$/.test(request.signature))
    violations.push({ field: "signature", reason: "must be the base64 of a 64-byte Ed25519 signature" });
  if (request.lastSeq < request.firstSeq)
    violations.push({ field: "last_seq", reason: "must be ≥ first_seq" });
  const [first, ...rest] = violations;
  if (first !== undefined || framework === undefined) {
    throw new InvalidArgumentError(
      first === undefined ? [{ field: "framework", reason: "unknown" }] : [first, ...rest],
    );
  }
  const s = request.summary;
  return {
    reportDigest: request.reportDigest,
    framework,
    periodStart: request.periodStart?.toISOString(),
    periodEnd: request.periodEnd?.toISOString(),
    keyId: request.keyId,
    signature: request.signature,
    summary: {
      pass: s?.pass ?? 0,
      fail: s?.fail ?? 0,
      manual: s?.manual ?? 0,
      noEvidence: s?.noEvidence ?? 0,
    },
    firstSeq: request.firstSeq,
    lastSeq: request.lastSeq,
  };
}

export function auditGrpcService(reader: AuditReader, reports: ReportRecorder): GrpcServiceRegistration {
  return grpcService(auditV1.AuditServiceDefinition, {
    async query(request, context) {
      const page = await reader.query(readerOf(context), filterFromWire(request.filter), {
        size: pageSizeFromWire(request.pageSize),
        afterSeq: afterSeqFromToken(request.pageToken),
      });
      context.annotate({ records: page.items.length });
      return { records: page.items.map(recordToWire), nextPageToken: pageTokenFor(page.nextAfterSeq) };
    },

    async verify(request, context) {
      if (request.toSeq !== 0 && request.toSeq < request.fromSeq) {
        throw new InvalidArgumentError("to_seq", "must be 0 (the latest) or ≥ from_seq");
      }
      const result = await reader.verify(readerOf(context), {
        ...(request.fromSeq !== 0 && { fromSeq: request.fromSeq }),
        ...(request.toSeq !== 0 && { toSeq: request.toSeq }),
      });
      context.annotate({ ok: result.ok, recordsChecked: result.count });
      return verifyResultToWire(result);
    },

    async *export(request, context) {
      const records = await reader.export(readerOf(context), filterFromWire(request.filter));
      for await (const record of records) {
        context.signal.throwIfAborted();
        yield { record: recordToWire(record) };
      }
    },

    async recordReport(request, context) {
      const report = reportFromWire(request);
      const { eventId } = await reports.record(readerOf(context), report);
      context.annotate({ framework: report.framework });
      return { eventId };
    },

    async *tail(request, context) {
      context.abortOnTerminate();
      const { types } = filterFromWire(auditV1.AuditFilter.fromPartial({ types: request.types }), "request");
      for await (const record of reader.tail(
        readerOf(context),
        { afterSeq: request.afterSeq, types },
        context.signal,
      )) {
        yield { record: recordToWire(record) };
      }
    },
  });
}
