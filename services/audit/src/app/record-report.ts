// RecordReport: a signed compliance report recorded in the trail (libs/compliance). Only an
// all-scope reader (auditor, security, compliance) may record one, since a report speaks for the
// whole trail; the caller comes from the verified token and is the event's actor.
import { PermissionDeniedError } from "@warden/grpc/errors";
import { accessScopeFor, type AccessRoles, type Reader } from "./access-scope.ts";
import type { RecordedReport, ReportLog } from "./ports.ts";

export type ReportRecorder = {
  record(reader: Reader, report: RecordedReport): Promise<{ eventId: string }>;
};

export function createReportRecorder(deps: {
  log: ReportLog;
  roles?: AccessRoles | undefined;
}): ReportRecorder {
  return {
    async record(reader, report) {
      const scope = accessScopeFor(reader, deps.roles);
      if (scope.kind !== "all") {
        throw new PermissionDeniedError(
          `principal ${JSON.stringify(reader.id)} may not record a compliance report: it needs a role that reads the whole trail`,
        );
      }
      return { eventId: await deps.log.recorded(report, reader) };
    },
  };
}
