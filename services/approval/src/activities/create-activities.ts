// The approval workflow's activities over the service's ports: events on JetStream through
// @warden/messaging (warden.approval.requested / vote_cast / escalated / resolved / refused and the
// verdict warden.action.verdict.<outcome>.<agent>) and the notifier (src/app/notify-approvers.ts:
// builds the notice, with signed links when configured, and hands it to the chat channel). Every event id is derived from the approval and
// the step, so a retried activity re-publishes the same id and the stream's duplicate window drops
// it (activities are idempotent). Sensitive fields: the bundle marks none today; the request inside
// ApprovalRequested is the decision's request as the policy already published it (README).
import { events } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import type { ApprovalNotifier } from "../app/notify-approvers.ts";
import type { ApprovalView } from "../domain/approval-types.ts";
import {
  actorTypeToWire,
  approvalToWire,
  riskToWire,
  statusToWire,
  voteToWire,
} from "../wire/approval-wire.ts";
import { approvalWorkflowId } from "../workflows/contract.ts";
import type { Activities } from "./activities.ts";

const APPROVAL = { type: "service" as const, id: "approval", roles: [] };

/** The decision's parts an approver needs, when the input carries them (proto3 JSON). */
function fromDecision(decision: Record<string, unknown>): Record<string, unknown> {
  const pick = (key: string) => (decision[key] === undefined ? {} : { [key]: decision[key] });
  return {
    ...(decision["request"] === undefined ? {} : { request: decision["request"] }),
    ...(decision["approval"] === undefined ? {} : { requirement: decision["approval"] }),
    ...pick("matchedRules"),
  };
}

function approvalWire(view: ApprovalView, decision: Record<string, unknown> = {}): Record<string, unknown> {
  const risk = view.risk === undefined ? undefined : riskToWire(view.risk);
  return {
    ...approvalToWire(view, approvalWorkflowId(view.actionId)),
    ...fromDecision(decision),
    ...(risk === undefined ? {} : { riskLevel: risk }),
  };
}

const outcomeOf = (status: ApprovalView["status"]): string => (status === "approved" ? "proceed" : "abort");

export function createActivities(deps: {
  publisher: EventPublisher;
  topology: Topology;
  notifier: Pick<ApprovalNotifier, "announce">;
}): Activities {
  const { publisher, topology } = deps;
  const s = topology.subjects;
  return {
    async publishRequested({ approval, input }) {
      await publisher.publish(s.approval("requested", approval.actionId), events.approvalRequested, {
        actionId: approval.actionId,
        actor: APPROVAL,
        id: `approval-requested-${approval.actionId}`,
        data: events.approvalRequested.data.parse({
          approval: approvalWire(approval, input.decision),
          notifiedChannels: input.definition.notify,
        }),
      });
    },
    async publishVoteCast({ approval, vote }) {
      await publisher.publish(s.approval("vote_cast", approval.actionId), events.approvalVoteCast, {
        actionId: approval.actionId,
        actor: { type: vote.voter.type === "ai_agent" ? "ai_agent" : "human", id: vote.voter.id, roles: [] },
        id: `approval-vote-${approval.actionId}-${vote.voter.id}-${vote.castAt}`,
        data: events.approvalVoteCast.data.parse({
          actionId: approval.actionId,
          vote: voteToWire(vote),
          approvals: approval.approvals,
          required: approval.required,
          missingRoles: approval.missingRoles,
        }),
      });
    },
    async publishEscalated({ approval, toLevel, cause, roles }) {
      await publisher.publish(s.approval("escalated", approval.actionId), events.approvalEscalated, {
        actionId: approval.actionId,
        actor: APPROVAL,
        id: `approval-escalated-${approval.actionId}-${toLevel}`,
        data: events.approvalEscalated.data.parse({
          actionId: approval.actionId,
          level: toLevel,
          roles,
          reason: cause,
          escalatedAt: new Date().toISOString(),
          ...(approval.levelDeadline === undefined ? {} : { levelDeadline: approval.levelDeadline }),
        }),
      });
    },
    async publishResolved({ approval }) {
      await publisher.publish(s.approval("resolved", approval.actionId), events.approvalResolved, {
        actionId: approval.actionId,
        actor: APPROVAL,
        id: `approval-resolved-${approval.actionId}-${approval.status}`,
        data: events.approvalResolved.data.parse({
          actionId: approval.actionId,
          status: statusToWire(approval.status),
          votes: approval.votes.filter((v) => v.counted).map(voteToWire),
          reason: approval.reason ?? approval.status,
          requestDigest: approval.requestDigest,
          bundleDigest: approval.bundleDigest,
          killswitchEpoch: String(approval.killswitchEpoch),
          resolvedAt: approval.resolvedAt ?? new Date().toISOString(),
        }),
      });
    },
    async publishVerdict({ approval, outcome }) {
      const verdict = outcomeOf(outcome);
      await publisher.publish(s.actionVerdict(verdict, approval.agentId), events.actionVerdict, {
        actionId: approval.actionId,
        actor: APPROVAL,
        id: `action-verdict-${approval.actionId}-${outcome}`,
        data: events.actionVerdict.data.parse({
          actionId: approval.actionId,
          agentId: approval.agentId,
          verdict: verdict === "proceed" ? "VERDICT_PROCEED" : "VERDICT_ABORT",
          status: statusToWire(outcome),
          reason: approval.reason ?? outcome,
          requestDigest: approval.requestDigest,
          bundleDigest: approval.bundleDigest,
          killswitchEpoch: String(approval.killswitchEpoch),
          decidedAt: approval.resolvedAt ?? new Date().toISOString(),
        }),
      });
    },
    async publishRefusal({ approval, code, message, actor }) {
      await publisher.publish(s.approval("refused", approval.actionId), events.approvalRefused, {
        actionId: approval.actionId,
        actor: { type: "ai_agent", id: actor.id, roles: [] },
        data: events.approvalRefused.data.parse({
          actionId: approval.actionId,
          agentId: approval.agentId,
          attempt: "consume",
          actor: { type: actorTypeToWire(actor.type), id: actor.id },
          code,
          message: message.slice(0, 4096),
          refusedAt: new Date().toISOString(),
        }),
      });
    },
    async notify(request) {
      await deps.notifier.announce(request);
    },
  };
}
