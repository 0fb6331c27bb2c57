// ReportLog as a domain event: warden.compliance.report_recorded on WARDEN_EVENTS, the caller as
// its actor; the audit's own consumer records it like any other event. Resolves on the stream's ack.
import { events, type EventPublisher, type Topology } from "@warden/messaging";
import type { ReportLog } from "../../app/ports.ts";

const ACTOR_TYPES = ["human", "ai_agent", "service"] as const;
type ActorType = (typeof ACTOR_TYPES)[number];
const actorType = (t: string): ActorType => ACTOR_TYPES.find((a) => a === t) ?? "human";
const wireType = {
  human: "ACTOR_TYPE_HUMAN",
  ai_agent: "ACTOR_TYPE_AI_AGENT",
  service: "ACTOR_TYPE_SERVICE",
} as const;

export function natsReportLog(publisher: EventPublisher, topology: Topology): ReportLog {
  return {
    async recorded(report, by) {
      const actor = {
        type: actorType(by.type),
        id: by.id,
        ...(by.name !== undefined && { name: by.name }),
        roles: [...by.roles],
      };
      const { envelope } = await publisher.publish(
        topology.subjects.complianceReportRecorded,
        events.complianceReportRecorded,
        {
          actor,
          data: {
            reportDigest: report.reportDigest,
            framework: report.framework,
            ...(report.periodStart !== undefined && { periodStart: report.periodStart }),
            ...(report.periodEnd !== undefined && { periodEnd: report.periodEnd }),
            keyId: report.keyId,
            signature: report.signature,
            summary: report.summary,
            firstSeq: report.firstSeq,
            lastSeq: report.lastSeq,
            recordedBy: { type: wireType[actor.type], id: by.id, roles: [...by.roles] },
            recordedAt: new Date().toISOString(),
          },
        },
      );
      return envelope.id;
    },
  };
}
