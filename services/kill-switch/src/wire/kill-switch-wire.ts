// Domain ↔ proto JSON (warden.killswitch.v1), shared by the gRPC transport and the NATS event
// adapter. Proto JSON: enum value names, camelCase fields, RFC 3339 times.
import { ACTOR_TYPE_TO_WIRE } from "@warden/messaging";
import { InvalidArgumentError } from "@warden/grpc/errors";
import type { Principal } from "@warden/identity";
import type { Acknowledgement, ConsumerStatus, Status } from "../domain/status.ts";
import { scopeOf } from "../domain/scope.ts";
import type { Scope } from "../domain/scope.ts";
import type { Approval, Person, StopRecord } from "../domain/stop-record.ts";

const KIND_TO_WIRE = {
  global: "SCOPE_KIND_GLOBAL",
  environment: "SCOPE_KIND_ENVIRONMENT",
  agent: "SCOPE_KIND_AGENT",
  service: "SCOPE_KIND_SERVICE",
} as const;
const ACTOR_TO_WIRE = ACTOR_TYPE_TO_WIRE;

export type ScopeJson = { kind: string; value?: string };

export function personOf(principal: Principal): Person {
  return { id: principal.id, type: principal.type, roles: [...principal.roles], name: principal.name };
}

/** A wire scope (enum name or number-free JSON) → domain; the field is named in errors. */
export function scopeFromWire(json: ScopeJson, field: string): Scope {
  const kind = Object.entries(KIND_TO_WIRE).find(([, wire]) => wire === json.kind)?.[0];
  if (kind === undefined)
    throw new InvalidArgumentError(
      `${field}.kind`,
      "must be SCOPE_KIND_GLOBAL, _ENVIRONMENT, _AGENT or _SERVICE",
    );
  // The proto's environment value is the Environment name (ENVIRONMENT_PRODUCTION); policy compares "production".
  const value = kind === "environment" ? json.value?.replace(/^ENVIRONMENT_/i, "") : json.value;
  return scopeOf(kind, value, field);
}

export function scopeToWire(scope: Scope): ScopeJson {
  return scope.kind === "global"
    ? { kind: KIND_TO_WIRE.global }
    : {
        kind: KIND_TO_WIRE[scope.kind],
        value: scope.kind === "environment" ? `ENVIRONMENT_${scope.value.toUpperCase()}` : scope.value,
      };
}

export function actorToWire(person: Person): Record<string, unknown> {
  return {
    type: ACTOR_TO_WIRE[person.type],
    id: person.id,
    ...(person.name !== undefined && { name: person.name }),
    roles: [...person.roles],
  };
}

const approvalToWire = (a: Approval) => ({ approver: actorToWire(a.approver), approvedAt: a.at });

export function acknowledgementToWire(ack: Acknowledgement): Record<string, unknown> {
  return {
    consumer: actorToWire(ack.consumer),
    instanceId: ack.instanceId,
    epoch: ack.epoch,
    acknowledgedAt: ack.at,
  };
}

export function scopeStateToWire(record: StopRecord): Record<string, unknown> {
  return {
    scope: scopeToWire(record.scope),
    active: record.active,
    epoch: record.epoch,
    reason: record.reason,
    activatedBy: actorToWire(record.activatedBy),
    activatedAt: record.activatedAt,
    ...(record.lifted !== undefined && {
      deactivatedAt: record.lifted.at,
      deactivationApprovals: record.lifted.approvals.map(approvalToWire),
      reviewRef: record.lifted.reviewRef,
      rootCause: record.lifted.rootCause,
      prevention: record.lifted.prevention,
    }),
    needsReEnabling: record.needsReEnabling,
  };
}

/** The aggregate EmergencyStop: active scopes, the newest activation's reason and actor, pending approvals. */
export function emergencyStopToWire(status: Status): Record<string, unknown> {
  const stopping = status.scopes.filter((r) => r.active || r.needsReEnabling);
  const newest = [...stopping].sort((a, b) => b.epoch - a.epoch)[0];
  return {
    epoch: status.epoch,
    active: stopping.length > 0,
    scopes: stopping.map((r) => scopeToWire(r.scope)),
    reason: newest?.reason ?? "",
    ...(newest !== undefined && {
      activatedBy: actorToWire(newest.activatedBy),
      activatedAt: newest.activatedAt,
    }),
    acknowledgements: status.consumers.filter((c) => c.confirmed).map(acknowledgementToWire),
    deactivationApprovals: (status.pending?.approvals ?? []).map(approvalToWire),
  };
}

export function consumerToWire(c: ConsumerStatus): Record<string, unknown> {
  return { acknowledgement: acknowledgementToWire(c), confirmed: c.confirmed, ageMs: c.ageMs };
}

export function statusToWire(status: Status): Record<string, unknown> {
  return {
    state: emergencyStopToWire(status),
    scopes: status.scopes.map(scopeStateToWire),
    consumers: status.consumers.map(consumerToWire),
    epoch: status.epoch,
  };
}
