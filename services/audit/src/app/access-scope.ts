// Who may read what of the trail (DESIGN.md §8): engineers their own actions, team leads their
// team's, security / compliance / auditors everything. The widest role a reader holds wins; a
// reader with none of them is refused. The scope is applied to the filter, never trusted from it.
import { PermissionDeniedError } from "@warden/grpc/errors";
import type { AccessScope, AuditQueryFilter, Reader } from "./ports.ts";

export type { AccessScope, Reader } from "./ports.ts";

/** Role names per scope (AUDIT_ROLES_ALL, AUDIT_ROLES_TEAM, AUDIT_ROLES_OWN). */
export type AccessRoles = {
  all: readonly string[];
  team: readonly string[];
  own: readonly string[];
};

export const DEFAULT_ACCESS_ROLES: AccessRoles = {
  all: ["auditor", "security", "security-lead", "compliance"],
  team: ["team-lead", "engineering-lead"],
  own: ["engineer"],
};

export function accessScopeFor(reader: Reader, roles: AccessRoles = DEFAULT_ACCESS_ROLES): AccessScope {
  const has = (names: readonly string[]): boolean => names.some((r) => reader.roles.includes(r));
  if (has(roles.all)) return { kind: "all" };
  if (has(roles.team)) {
    return reader.team !== undefined && reader.team !== ""
      ? { kind: "team", team: reader.team }
      : { kind: "own", actorId: reader.id, actorType: reader.type };
  }
  if (has(roles.own)) return { kind: "own", actorId: reader.id, actorType: reader.type };
  throw new PermissionDeniedError(
    `principal ${JSON.stringify(reader.id)} holds no audit role (one of ${[...roles.all, ...roles.team, ...roles.own].join(", ")})`,
  );
}

/**
 * The filter narrowed to the scope. Asking explicitly for records outside it (another actor's, as
 * an engineer) is refused rather than silently answered with nothing.
 */
export function scopedFilter(filter: AuditQueryFilter, scope: AccessScope): AuditQueryFilter {
  switch (scope.kind) {
    case "all":
      return filter;
    case "team":
      if (filter.team !== undefined && filter.team !== scope.team) {
        throw new PermissionDeniedError(`a team lead reads only their own team (${scope.team})`);
      }
      return { ...filter, team: scope.team };
    case "own":
      if (filter.actorId !== undefined && filter.actorId !== scope.actorId) {
        throw new PermissionDeniedError(
          `this role reads only its own actions: filter.actor_id must be empty or ${JSON.stringify(scope.actorId)}`,
        );
      }
      return { ...filter, actorId: scope.actorId, actorType: scope.actorType };
  }
}
