// Filtering records in memory by an AuditQueryFilter, as the Mongo store's query does: the fake
// store, and filtering live records for Tail.
import type { AuditRecord } from "../domain/audit-record.ts";
import type { AuditQueryFilter } from "./ports.ts";

function typeMatches(type: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? type.startsWith(p.slice(0, -1)) : type === p));
}

/** Whether a record matches a filter (the fake store, and filtering live records for Tail). */
export function matchesFilter(record: AuditRecord, filter: AuditQueryFilter): boolean {
  return (
    (filter.actorId === undefined || record.actor.id === filter.actorId) &&
    (filter.actorType === undefined || record.actor.type === filter.actorType) &&
    (filter.team === undefined || record.actor.team === filter.team) &&
    (filter.agentId === undefined || record.agentId === filter.agentId) &&
    (filter.action === undefined || record.what.action === filter.action) &&
    (filter.actionId === undefined || record.actionId === filter.actionId) &&
    (filter.types === undefined || filter.types.length === 0 || typeMatches(record.type, filter.types)) &&
    (filter.environment === undefined || record.where.environment === filter.environment) &&
    (filter.timeFrom === undefined || record.time >= filter.timeFrom) &&
    (filter.timeTo === undefined || record.time < filter.timeTo)
  );
}
