// Every refusal at a service's door is an event (`warden.access.refused.<service>`), so the audit
// holds each refused attempt with who (when verified), what and why.
import type { GrpcRefusal, RefusalListener } from "@warden/grpc";
import { ACTOR_TYPE_TO_WIRE, events } from "@warden/messaging";
import type { AccessRefusedData, EventPublisher, Topology } from "@warden/messaging";

export type AccessRefusalOptions = {
  /** The refusing service, e.g. "policy": the subject's last token and the event's `service`. */
  service: string;
  publisher: EventPublisher;
  topology: Topology;
};

/** The AccessRefused payload for one gRPC refusal (bounded: a hostile caller controls none of it but the peer). */
export function accessRefusedData(service: string, refusal: GrpcRefusal, at: Date): AccessRefusedData {
  const p = refusal.principal;
  return {
    service,
    transport: "grpc",
    operation: refusal.method.slice(0, 256),
    code: refusal.code,
    reason: refusal.reason.slice(0, 1024),
    ...(p !== undefined && {
      actor: { type: ACTOR_TYPE_TO_WIRE[p.type], id: p.id, roles: p.roles.slice(0, 64) },
    }),
    ...(refusal.missingRoles.length > 0 && { missingRoles: refusal.missingRoles.slice(0, 32) }),
    peer: refusal.peer.slice(0, 256),
    refusedAt: at.toISOString(),
  };
}

/** The listener `startServiceGrpc` installs: publishes each refusal and resolves on the stream's ack. */
export function publishAccessRefusals(options: AccessRefusalOptions): RefusalListener {
  const subject = options.topology.subjects.accessRefused(options.service);
  return async (refusal) => {
    await options.publisher.publish(subject, events.accessRefused, {
      data: accessRefusedData(options.service, refusal, new Date()),
    });
  };
}
