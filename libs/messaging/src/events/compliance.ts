// Data schema for warden.compliance.v1 (proto/warden/compliance/v1/events.proto): a signed
// compliance report recorded in the trail, published by the audit service for
// AuditService.RecordReport. Proto JSON mapping: zero values are omitted (so counts are optional);
// digest, framework, key id and signature are always set.
import { z } from "zod";
import { ActorData, Timestamp, UInt64 } from "./common.ts";

export const REPORT_FRAMEWORKS = ["soc2", "hipaa", "pci", "eu-ai-act"] as const;

const count = z.number().int().nonnegative();

export const ReportSummaryData = z.strictObject({
  pass: count.optional(),
  fail: count.optional(),
  manual: count.optional(),
  noEvidence: count.optional(),
});

export const ReportRecordedData = z.strictObject({
  reportDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex>"),
  framework: z.enum(REPORT_FRAMEWORKS),
  periodStart: Timestamp.optional(),
  periodEnd: Timestamp.optional(),
  keyId: z.string().min(1).max(128),
  signature: z.string().min(1).max(512),
  summary: ReportSummaryData.optional(),
  firstSeq: UInt64.optional(),
  lastSeq: UInt64.optional(),
  recordedBy: ActorData.optional(),
  recordedAt: Timestamp.optional(),
});
export type ReportRecordedData = z.infer<typeof ReportRecordedData>;
