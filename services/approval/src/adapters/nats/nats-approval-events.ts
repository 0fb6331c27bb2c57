// ApprovalEvents over JetStream: warden.approval.refused.<actionId> (ApprovalRefused).
import { events } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import type { ApprovalEvents } from "../../app/ports.ts";
import type { ActorTypeName, VoteDecisionName } from "../../workflows/contract.ts";
import { actorTypeToWire, decisionToWire } from "../../wire/approval-wire.ts";

const envelopeType = (type: string): "human" | "ai_agent" | "service" =>
  type === "human" || type === "ai_agent" ? type : "service";

export function natsApprovalEvents(publisher: EventPublisher, topology: Topology): ApprovalEvents {
  return {
    async refused(refusal) {
      const actor = {
        type: envelopeType(refusal.actor.type),
        id: refusal.actor.id,
        roles: [...refusal.actor.roles],
      };
      await publisher.publish(
        topology.subjects.approval("refused", refusal.actionId),
        events.approvalRefused,
        {
          actionId: refusal.actionId,
          actor,
          data: events.approvalRefused.data.parse({
            actionId: refusal.actionId,
            ...(refusal.agentId !== "" && { agentId: refusal.agentId }),
            attempt: refusal.attempt,
            actor: {
              type: actorTypeToWire(refusal.actor.type as ActorTypeName),
              id: refusal.actor.id,
              ...(refusal.actor.roles.length > 0 && { roles: refusal.actor.roles }),
            },
            code: refusal.code,
            message: refusal.message.slice(0, 4096),
            ...(refusal.decision !== undefined && {
              decision: decisionToWire(refusal.decision as VoteDecisionName),
            }),
            refusedAt: new Date().toISOString(),
          }),
        },
      );
    },
  };
}
