// KillSwitchEvents over JetStream (warden.killswitch.*: the broadcast fast path, and what the audit
// records), and the AcknowledgementView fed from the stream: an ordered consumer of
// warden.killswitch.acknowledged.* from `ttl` ago keeps each instance's latest acknowledgement, so
// every replica (and a restarted one) sees the same consumers. Defence in depth (ADR 0009): the
// subject's last token is the publisher's identity under NATS permissions (an agent may publish only
// warden.killswitch.acknowledged.<its id>), so an acknowledgement whose payload instanceId is not the
// subject's token, or whose ai_agent consumer is not that instance, is refused — not counted, and
// published as warden.killswitch.refused (operation acknowledge; one per stream message, deduplicated
// across replicas by its message id).
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { ConsumerMessages } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEventAs, token, events as wardenEvents } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import type { Logger } from "pino";
import type { AcknowledgementView, KillSwitchEvents } from "../../app/ports.ts";
import { missingRoles } from "../../domain/deactivation.ts";
import type { Acknowledgement } from "../../domain/status.ts";
import type { Approval, Person } from "../../domain/stop-record.ts";
import { acknowledgementToWire, actorToWire, scopeToWire } from "../../wire/kill-switch-wire.ts";

const envelopeActor = (p: Person) => ({
  type: p.type,
  id: p.id,
  roles: [...p.roles],
  ...(p.name !== undefined && { name: p.name }),
});
const approvalToWire = (a: Approval) => ({ approver: actorToWire(a.approver), approvedAt: a.at });

export function natsKillSwitchEvents(publisher: EventPublisher, topology: Topology): KillSwitchEvents {
  const s = topology.subjects;
  return {
    async activated(records, epoch) {
      const first = records[0];
      if (first === undefined) return;
      await publisher.publish(s.killswitch("activated"), wardenEvents.killswitchActivated, {
        actor: envelopeActor(first.activatedBy),
        id: `killswitch-activated-${epoch}`,
        data: wardenEvents.killswitchActivated.data.parse({
          state: {
            epoch,
            active: true,
            scopes: records.map((r) => scopeToWire(r.scope)),
            reason: first.reason,
            activatedBy: actorToWire(first.activatedBy),
            activatedAt: first.activatedAt,
          },
        }),
      });
    },
    async deactivationApproved(pending) {
      const last = pending.approvals.at(-1);
      await publisher.publish(
        s.killswitch("deactivation_approved"),
        wardenEvents.killswitchDeactivationApproved,
        {
          ...(last !== undefined && { actor: envelopeActor(last.approver) }),
          data: wardenEvents.killswitchDeactivationApproved.data.parse({
            epoch: pending.epoch,
            scopes: pending.scopes.map(scopeToWire),
            approvals: pending.approvals.map(approvalToWire),
            missingRoles: missingRoles(pending),
            reviewRef: pending.reviewRef,
          }),
        },
      );
    },
    async deactivated(d) {
      const last = d.approvals.at(-1);
      await publisher.publish(s.killswitch("deactivated"), wardenEvents.killswitchDeactivated, {
        ...(last !== undefined && { actor: envelopeActor(last.approver) }),
        id: `killswitch-deactivated-${d.epoch}`,
        data: wardenEvents.killswitchDeactivated.data.parse({
          epoch: d.epoch,
          approvals: d.approvals.map(approvalToWire),
          reviewRef: d.reviewRef,
          rootCause: d.rootCause,
          prevention: d.prevention,
          reEnabledAgents: [...d.reEnabledAgents],
          deactivatedAt: d.at,
          scopes: d.scopes.map(scopeToWire),
          stillDisabledAgents: [...d.stillDisabled],
        }),
      });
    },
    async refused(r) {
      await publisher.publish(s.killswitch("refused"), wardenEvents.killswitchRefused, {
        ...(r.id !== undefined && { id: r.id }),
        ...(r.person !== undefined && { actor: envelopeActor(r.person) }),
        data: wardenEvents.killswitchRefused.data.parse({
          operation: r.operation,
          ...(r.person !== undefined && { actor: actorToWire(r.person) }),
          reason: r.reason,
          refusedAt: r.at,
        }),
      });
    },
    async reEnabled(e) {
      await publisher.publish(s.killswitch("reenabled"), wardenEvents.killswitchAgentReEnabled, {
        actor: envelopeActor(e.requestedBy),
        id: `killswitch-reenabled-${e.actionId}`,
        actionId: e.actionId,
        data: wardenEvents.killswitchAgentReEnabled.data.parse({
          agentId: e.agentId,
          actionId: e.actionId,
          epoch: e.epoch,
          requestedBy: actorToWire(e.requestedBy),
          reEnabledAt: e.at,
        }),
      });
    },
    async acknowledged(ack) {
      await publisher.publish(s.killswitchAcknowledged(ack.instanceId), wardenEvents.killswitchAcknowledged, {
        actor: envelopeActor(ack.consumer),
        data: wardenEvents.killswitchAcknowledged.data.parse({ acknowledgement: acknowledgementToWire(ack) }),
      });
    },
  };
}

const ACTOR_TYPES = {
  ACTOR_TYPE_HUMAN: "human",
  ACTOR_TYPE_AI_AGENT: "ai_agent",
  ACTOR_TYPE_SERVICE: "service",
} as const;

export type AcknowledgementFeed = AcknowledgementView & { close(): Promise<void> };

/** Follows acknowledgements from `ttlMs` ago onwards (a start sequence, which survives reconnects). */
/** Why an acknowledgement does not match its subject's identity; undefined when it does. */
export function acknowledgementMismatch(
  subject: string,
  ack: { instanceId: string; consumer?: { type: string; id: string } | undefined },
): string | undefined {
  const subjectToken = subject.slice(subject.lastIndexOf(".") + 1);
  if (token(ack.instanceId) !== subjectToken) {
    return `acknowledgement.instanceId ${JSON.stringify(ack.instanceId)} is not the subject's identity (${subjectToken})`;
  }
  if (ack.consumer?.type === "ACTOR_TYPE_AI_AGENT" && ack.consumer.id !== ack.instanceId) {
    return `acknowledgement.consumer.id ${JSON.stringify(ack.consumer.id)} is not the agent of the subject (${subjectToken})`;
  }
  return undefined;
}

export async function watchAcknowledgements(
  nc: NatsConnection,
  topology: Topology,
  options: {
    log: Logger;
    ttlMs: number;
    now?: () => number;
    /** Publishes a refused (mismatched) acknowledgement; `id` deduplicates it across replicas. */
    refuse?: (refusal: { reason: string; id: string; consumerId?: string | undefined }) => Promise<void>;
  },
): Promise<AcknowledgementFeed> {
  const now = options.now ?? Date.now;
  const latest = new Map<string, Acknowledgement>();
  const jsm = await jetstreamManager(nc);
  const probe = await jsm.consumers.add(topology.streams.events, {
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(now() - options.ttlMs).toISOString(),
    filter_subjects: [topology.subjects.killswitchAcknowledgedAll],
    ack_policy: AckPolicy.None,
    mem_storage: true,
    inactive_threshold: 60_000_000_000,
  });
  await jsm.consumers.delete(topology.streams.events, probe.name).catch(() => undefined);
  const consumer = await jetstream(nc).consumers.get(topology.streams.events, {
    filter_subjects: [topology.subjects.killswitchAcknowledgedAll],
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: probe.delivered.stream_seq + 1,
  });
  const messages: ConsumerMessages = await consumer.consume();
  void (async () => {
    for await (const m of messages) {
      try {
        const ack = decodeEventAs(m.data, wardenEvents.killswitchAcknowledged).data.acknowledgement;
        const consumerActor = ack.consumer;
        const mismatch = acknowledgementMismatch(m.subject, ack);
        if (mismatch !== undefined) {
          options.log.warn({ subject: m.subject, reason: mismatch }, "refusing a mismatched acknowledgement");
          await options
            .refuse?.({
              reason: mismatch,
              id: `killswitch-ack-refused-${m.info.streamSequence}`,
              consumerId: consumerActor?.id,
            })
            .catch((err: unknown) => options.log.error({ err }, "cannot publish the refusal"));
          continue;
        }
        latest.set(ack.instanceId, {
          consumer: {
            id: consumerActor?.id ?? "unknown",
            type: consumerActor === undefined ? "service" : ACTOR_TYPES[consumerActor.type],
            roles: consumerActor?.roles ?? [],
            ...(consumerActor?.name !== undefined && { name: consumerActor.name }),
          },
          instanceId: ack.instanceId,
          epoch: ack.epoch,
          at: ack.acknowledgedAt ?? new Date(now()).toISOString(),
        });
      } catch (err) {
        options.log.warn({ err, subject: m.subject }, "ignoring an unreadable acknowledgement");
      }
    }
  })();
  return {
    latest: () => [...latest.values()],
    async close() {
      await messages.close();
    },
  };
}
