// AccessLog as a domain event: each read of the trail is published as warden.audit.queried on
// WARDEN_EVENTS, where the audit's own consumer records it like any other event. The event's
// actor is the reader (from the verified token). Publishing resolves on the stream's ack, so a read
// is never answered unless its record is durably on its way.
//
// The event type is defined here, not in @warden/messaging's catalog: no other service consumes it.
// (Follow-up: a proto message warden.audit.v1.AuditQueried and a catalog entry.)
import { defineEvent, type EventPublisher, type Topology } from "@warden/messaging";
import { z } from "zod";
import type { AccessLog, AuditAccess } from "../../app/ports.ts";

const optionalText = z.string().max(512).optional();

export const AuditQueriedData = z.strictObject({
  /** "audit.query", "audit.export", "audit.verify", "audit.tail": the record's what.action. */
  action: z.enum(["audit.query", "audit.export", "audit.verify", "audit.tail"]),
  method: z.enum(["query", "export", "verify", "tail"]),
  scope: z.strictObject({
    kind: z.enum(["all", "team", "own"]),
    team: optionalText,
    actorId: optionalText,
  }),
  reader: z.strictObject({
    id: z.string().min(1).max(256),
    type: z.string().max(64),
    roles: z.array(z.string().max(128)).max(64),
    team: optionalText,
  }),
  filter: z
    .strictObject({
      actorId: optionalText,
      team: optionalText,
      agentId: optionalText,
      action: optionalText,
      actionId: optionalText,
      types: z.array(z.string().max(256)).max(64).optional(),
      environment: optionalText,
      timeFrom: optionalText,
      timeTo: optionalText,
    })
    .optional(),
  pageSize: z.number().int().nonnegative().optional(),
  afterSeq: z.number().int().nonnegative().optional(),
  fromSeq: z.number().int().nonnegative().optional(),
  toSeq: z.number().int().nonnegative().optional(),
});
export type AuditQueriedData = z.infer<typeof AuditQueriedData>;

export const auditQueriedEvent = defineEvent("warden.audit.queried", AuditQueriedData, {
  requiresActionId: false,
});

const ACTOR_TYPES = ["human", "ai_agent", "service"] as const;
type ActorType = (typeof ACTOR_TYPES)[number];
const actorType = (t: string): ActorType => ACTOR_TYPES.find((a) => a === t) ?? "human";

/** Drops undefined values, so the strict schema sees only what was given. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function accessData(access: AuditAccess): AuditQueriedData {
  const { reader, scope } = access;
  return defined({
    action: `audit.${access.method}` as const,
    method: access.method,
    scope: defined({
      kind: scope.kind,
      team: scope.kind === "team" ? scope.team : undefined,
      actorId: scope.kind === "own" ? scope.actorId : undefined,
    }),
    reader: defined({ id: reader.id, type: reader.type, roles: [...reader.roles], team: reader.team }),
    filter:
      access.filter === undefined
        ? undefined
        : defined({
            ...access.filter,
            types: access.filter.types === undefined ? undefined : [...access.filter.types],
          }),
    pageSize: access.page?.size,
    afterSeq: access.page?.afterSeq,
    fromSeq: access.range?.fromSeq,
    toSeq: access.range?.toSeq,
  });
}

export function natsAccessLog(publisher: EventPublisher, topology: Topology): AccessLog {
  return {
    async recorded(access) {
      const { reader } = access;
      await publisher.publish(topology.subjects.auditQueried, auditQueriedEvent, {
        actor: {
          type: actorType(reader.type),
          id: reader.id,
          ...(reader.name !== undefined && { name: reader.name }),
          roles: [...reader.roles],
        },
        data: accessData(access),
      });
    },
  };
}
