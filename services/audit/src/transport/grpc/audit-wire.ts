// Mapping between the audit's domain types and warden.audit.v1 (the only place that knows both).
import { auditV1, commonV1 } from "@warden/contracts";
import { InvalidArgumentError } from "@warden/grpc/errors";
import type { AuditQueryFilter } from "../../app/ports.ts";
import type { AuditRecord, EncryptedValue, RetentionClass } from "../../domain/audit-record.ts";
import type { ChainProblem } from "../../domain/verify-chain.ts";
import type { VerifyStoredChainResult } from "../../app/verify-stored-chain.ts";

const MAX_TYPES = 64;

const ENVIRONMENT_TO_DOMAIN: Partial<Record<commonV1.Environment, string>> = {
  [commonV1.Environment.ENVIRONMENT_PRODUCTION]: "production",
  [commonV1.Environment.ENVIRONMENT_STAGING]: "staging",
  [commonV1.Environment.ENVIRONMENT_DEVELOPMENT]: "development",
};

const ENVIRONMENT_TO_WIRE: Record<string, commonV1.Environment> = {
  production: commonV1.Environment.ENVIRONMENT_PRODUCTION,
  staging: commonV1.Environment.ENVIRONMENT_STAGING,
  development: commonV1.Environment.ENVIRONMENT_DEVELOPMENT,
};

const ACTOR_TYPE_TO_WIRE: Record<string, commonV1.ActorType> = {
  human: commonV1.ActorType.ACTOR_TYPE_HUMAN,
  ai_agent: commonV1.ActorType.ACTOR_TYPE_AI_AGENT,
  service: commonV1.ActorType.ACTOR_TYPE_SERVICE,
};

const RETENTION_TO_WIRE: Record<RetentionClass, auditV1.RetentionClass> = {
  "production-7y": auditV1.RetentionClass.RETENTION_CLASS_PRODUCTION,
  "staging-1y": auditV1.RetentionClass.RETENTION_CLASS_STAGING,
  "development-90d": auditV1.RetentionClass.RETENTION_CLASS_DEVELOPMENT,
};

const PROBLEM_TO_WIRE: Record<ChainProblem, auditV1.Problem> = {
  modified: auditV1.Problem.PROBLEM_MODIFIED,
  missing: auditV1.Problem.PROBLEM_MISSING,
  reordered: auditV1.Problem.PROBLEM_REORDERED,
  truncated: auditV1.Problem.PROBLEM_TRUNCATED,
  rewritten: auditV1.Problem.PROBLEM_REWRITTEN,
  // The proto has no value of its own for a bad checkpoint signature; detail says which it was.
  bad_signature: auditV1.Problem.PROBLEM_REWRITTEN,
};

const text = (value: string | null | undefined): string => value ?? "";

/** An encrypted field travels as the JSON of its ciphertext object (it is listed in encryptedFields). */
const maybeEncrypted = (value: string | EncryptedValue | null): string =>
  value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);

const date = (iso: string | null): Date | undefined => {
  if (iso === null) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms);
};

export function recordToWire(record: AuditRecord): auditV1.AuditRecord {
  const { actor, what, where, why, ai } = record;
  const data = record.data;
  return auditV1.AuditRecord.fromPartial({
    seq: record.seq,
    eventId: record.eventId,
    type: record.type,
    subject: record.subject,
    time: date(record.time),
    recordedAt: date(record.recordedAt),
    source: text(record.source),
    traceId: text(record.traceId),
    actor: {
      type: ACTOR_TYPE_TO_WIRE[actor.type] ?? commonV1.ActorType.ACTOR_TYPE_UNSPECIFIED,
      id: actor.id,
      name: text(actor.name),
      roles: actor.roles,
      team: text(actor.team),
    },
    actionId: text(record.actionId),
    agentId: text(record.agentId),
    action: text(what.action),
    tool: text(what.tool),
    argumentsDigest: text(what.argumentsDigest),
    target: maybeEncrypted(what.target),
    environment:
      (where.environment === null ? undefined : ENVIRONMENT_TO_WIRE[where.environment]) ??
      commonV1.Environment.ENVIRONMENT_UNSPECIFIED,
    service: text(where.service),
    resource: maybeEncrypted(where.resource),
    reason: maybeEncrypted(why.reason),
    ticket: text(why.ticket),
    matchedRuleIds: why.ruleIds,
    bundleDigest: text(why.bundleDigest),
    outcome: text(record.outcome),
    approvals: record.approvals.map((a) => ({
      approver: { id: a.by },
      decision: text(a.decision),
      comment: maybeEncrypted(a.comment),
      time: date(a.at),
    })),
    ai:
      ai === null
        ? undefined
        : {
            model: text(ai.model),
            version: text(ai.version),
            promptDigest: text(ai.promptDigest),
            rationale: maybeEncrypted(ai.rationale),
            confidence: ai.confidence ?? undefined,
          },
    data: typeof data === "object" && data !== null && !Array.isArray(data) ? data : { value: data },
    encryptedFields: record.encryptedFields,
    retentionClass: RETENTION_TO_WIRE[record.retentionClass],
    retainUntil: date(record.retainUntil),
    prevHash: record.prevHash,
    hash: record.hash,
    hashVersion: record.hashVersion,
  });
}

function optional(value: string): string | undefined {
  return value === "" ? undefined : value;
}

export function filterFromWire(filter: auditV1.AuditFilter | undefined, field = "filter"): AuditQueryFilter {
  if (filter === undefined) return {};
  if (filter.types.length > MAX_TYPES)
    throw new InvalidArgumentError(`${field}.types`, `at most ${MAX_TYPES} types`);
  filter.types.forEach((t, i) => {
    if (t === "" || t.length > 256 || (t.includes("*") && t.indexOf("*") !== t.length - 1)) {
      throw new InvalidArgumentError(
        `${field}.types[${i}]`,
        'must be an event type, or a prefix ending in "*" (e.g. warden.decision.*)',
      );
    }
  });
  const from = filter.startTime;
  const to = filter.endTime;
  if (from !== undefined && to !== undefined && from.getTime() >= to.getTime()) {
    throw new InvalidArgumentError(`${field}.end_time`, "must be after start_time");
  }
  const environment = ENVIRONMENT_TO_DOMAIN[filter.environment];
  if (environment === undefined && filter.environment !== commonV1.Environment.ENVIRONMENT_UNSPECIFIED) {
    throw new InvalidArgumentError(`${field}.environment`, "unknown environment");
  }
  return {
    actorId: optional(filter.actorId),
    agentId: optional(filter.agentId),
    action: optional(filter.action),
    actionId: optional(filter.actionId),
    types: filter.types.length === 0 ? undefined : filter.types,
    timeFrom: from?.toISOString(),
    timeTo: to?.toISOString(),
    environment,
  };
}

const TOKEN_PREFIX = "v1:";

/** An opaque page token: where the next page starts. */
export function pageTokenFor(afterSeq: number | null): string {
  return afterSeq === null ? "" : Buffer.from(`${TOKEN_PREFIX}${afterSeq}`).toString("base64url");
}

export function afterSeqFromToken(token: string): number | undefined {
  if (token === "") return undefined;
  const decoded = Buffer.from(token, "base64url").toString("utf8");
  const seq = decoded.startsWith(TOKEN_PREFIX) ? Number(decoded.slice(TOKEN_PREFIX.length)) : Number.NaN;
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new InvalidArgumentError("page_token", "not a token from a previous response's next_page_token");
  }
  return seq;
}

export function pageSizeFromWire(size: number): number {
  if (size === 0) return 100;
  if (size > 1000) throw new InvalidArgumentError("page_size", "must be 1 to 1000 (0 means 100)");
  return size;
}

const SOURCE_TO_WIRE = {
  stream: auditV1.CheckpointSource.CHECKPOINT_SOURCE_STREAM,
  database: auditV1.CheckpointSource.CHECKPOINT_SOURCE_DATABASE,
} as const;

export function verifyResultToWire(result: VerifyStoredChainResult): auditV1.VerifyResponse {
  const checkpointSource = SOURCE_TO_WIRE[result.checkpointSource];
  if (result.ok) {
    return auditV1.VerifyResponse.fromPartial({
      ok: true,
      recordsChecked: result.count,
      checkpointsChecked: result.checkpointsChecked,
      lastGoodSeq: result.lastSeq,
      checkpointSource,
      rangeCutAtHead: result.rangeCutAtHead,
      detail: result.rangeCutAtHead
        ? `range cut at the head: the chain ends at seq ${result.lastSeq}, before to_seq`
        : "",
    });
  }
  return auditV1.VerifyResponse.fromPartial({
    ok: false,
    firstBadSeq: result.firstBadSeq,
    problem: PROBLEM_TO_WIRE[result.problem],
    detail: result.problem === "bad_signature" ? `bad checkpoint signature: ${result.detail}` : result.detail,
    recordsChecked: result.count,
    checkpointsChecked: result.checkpointsChecked,
    lastGoodSeq: result.lastGoodSeq,
    checkpointSource,
  });
}
