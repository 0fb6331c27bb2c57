// A small trail builder for tests: evidence records shaped as the AuditService returns them (data
// in proto3 JSON), with seqs in order. Used by the unit tests here and usable by the console's.
import type { EvidenceActor, EvidenceRecord } from "../evidence.ts";

type Partial2 = Partial<Omit<EvidenceRecord, "seq">> & { type: string };

const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface TrailBuilder {
  readonly records: EvidenceRecord[];
  add(record: Partial2): EvidenceRecord;
  /** request → decision approval_required → resolved → verdict → executed for one production change. */
  approvedChange(options: {
    actionId: string;
    agentId?: string;
    requester?: string;
    minApprovers: number;
    requiredRoles?: string[];
    approvers: { id: string; roles: string[]; type?: "human" | "ai_agent"; counted?: boolean }[];
    ai?: { model?: string; rationale?: string };
  }): void;
}

export const human = (id: string, roles: string[] = []): EvidenceActor => ({ type: "human", id, roles });
const wireActor = (a: EvidenceActor) => ({
  type:
    a.type === "ai_agent"
      ? "ACTOR_TYPE_AI_AGENT"
      : a.type === "human"
        ? "ACTOR_TYPE_HUMAN"
        : "ACTOR_TYPE_SERVICE",
  id: a.id,
  roles: [...a.roles],
});

export function trail(start = Date.parse("2026-10-01T10:00:00Z")): TrailBuilder {
  const records: EvidenceRecord[] = [];
  const add = (r: Partial2): EvidenceRecord => {
    const time = r.time ?? new Date(start + records.length * 1000).toISOString();
    const environment = r.environment ?? "production";
    const record: EvidenceRecord = {
      seq: records.length + 1,
      time,
      actor: r.actor ?? { type: "service", id: "policy", roles: [] },
      actionId: r.actionId ?? "",
      agentId: r.agentId ?? "",
      action: r.action ?? "",
      environment,
      outcome: r.outcome ?? "",
      bundleDigest: r.bundleDigest ?? "",
      ai: r.ai,
      retentionClass:
        r.retentionClass ?? (environment === "production" ? "production-7y" : "development-90d"),
      retainUntil: r.retainUntil ?? new Date(Date.parse(time) + 7 * YEAR_MS + 2 * 86_400_000).toISOString(),
      data: r.data ?? {},
      type: r.type,
    };
    records.push(record);
    return record;
  };
  return {
    records,
    add,
    approvedChange(o) {
      const agentId = o.agentId ?? "release-bot";
      const requester = o.requester ?? "carol";
      const request = {
        actionId: o.actionId,
        agentId,
        action: "change.deploy",
        environment: "ENVIRONMENT_PRODUCTION",
        requestedBy: wireActor(human(requester, ["engineer"])),
        ...(o.ai !== undefined && { ai: o.ai }),
      };
      add({
        type: "warden.action.requested",
        actionId: o.actionId,
        agentId,
        actor: { type: "ai_agent", id: agentId, roles: [] },
        data: request,
      });
      add({
        type: "warden.decision.made",
        actionId: o.actionId,
        agentId,
        outcome: "approval_required",
        data: {
          actionId: o.actionId,
          agentId,
          outcome: "OUTCOME_APPROVAL_REQUIRED",
          bundleDigest: "sha256:bundle1",
          approval: { workflow: "prod", minApprovers: o.minApprovers, requiredRoles: o.requiredRoles ?? [] },
          request,
        },
      });
      const votes = o.approvers.map((a) => ({
        voter: wireActor({ type: a.type ?? "human", id: a.id, roles: a.roles }),
        decision: "VOTE_DECISION_APPROVE",
        counted: a.counted ?? true,
      }));
      add({
        type: "warden.approval.resolved",
        actionId: o.actionId,
        actor: { type: "service", id: "approval", roles: [] },
        data: { actionId: o.actionId, status: "APPROVAL_STATUS_APPROVED", votes },
      });
      add({
        type: "warden.action.verdict",
        actionId: o.actionId,
        agentId,
        actor: { type: "service", id: "approval", roles: [] },
        data: {
          actionId: o.actionId,
          agentId,
          verdict: "VERDICT_PROCEED",
          status: "APPROVAL_STATUS_APPROVED",
        },
      });
      add({
        type: "warden.action.executed",
        actionId: o.actionId,
        agentId,
        actor: { type: "ai_agent", id: agentId, roles: [] },
        data: { actionId: o.actionId, agentId, outcome: "EXECUTION_OUTCOME_SUCCEEDED", approved: true },
      });
    },
  };
}
