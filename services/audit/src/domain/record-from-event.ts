// Maps an event envelope (DESIGN.md §3) to an audit record draft. The audit records every event,
// well-formed or not: nothing here throws. Known data shapes (ActionRequest, Decision, approval,
// kill-switch and rollback events, in proto JSON) feed the who / what / where / why summary; the
// full `data` is always kept.
import { hash } from "node:crypto";
import canonicalize from "canonicalize";
import { z } from "zod";
import {
  retentionClassFor,
  type AuditActor,
  type AuditAi,
  type AuditApproval,
  type AuditRecordDraft,
} from "./audit-record.ts";
import { describeNormalization, isJsonObject, toStorableJson, type JsonValue } from "./json.ts";

/** The envelope as it travels (libs/messaging); validated leniently here, problems become issues. */
const EnvelopeShape = z.object({
  id: z.string().min(1).max(256),
  type: z.string().min(1).max(256),
  source: z.string().min(1).max(256),
  time: z.string().refine((t) => !Number.isNaN(Date.parse(t)), "not a date-time"),
  actionId: z.string().min(1).max(256).optional(),
  actor: z.object({
    type: z.string().min(1),
    id: z.string().min(1),
    name: z.string().optional(),
    roles: z.array(z.string()).optional(),
    team: z.string().optional(),
  }),
  traceparent: z.string().optional(),
  data: z.unknown(),
});

export type RecordFromEventOptions = {
  /** When the event was received; the record's `time` when the envelope has none. */
  receivedAt: Date;
  /** Event id to use when the envelope has none, e.g. "WARDEN_EVENTS:<stream seq>". */
  fallbackId?: string | undefined;
};

/** Longer ids are replaced by their digest (they become `_id`, an indexed key). */
export const MAX_EVENT_ID_LENGTH = 256;

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | undefined => (isJsonObject(v) ? v : undefined);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const firstStr = (...values: unknown[]): string | null => {
  for (const v of values) {
    const s = str(v);
    if (s !== null) return s;
  }
  return null;
};
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x !== "") : [];

const ENUM_PREFIXES = [
  "OUTCOME_",
  "APPROVAL_STATUS_",
  "VERDICT_",
  "VOTE_DECISION_",
  "STATUS_",
  "ACTOR_TYPE_",
];

/** "OUTCOME_ALLOW" → "allow", "approval_required" stays, "Approved" → "approved". */
export function normalizeEnumValue(value: string): string {
  let v = value;
  for (const prefix of ENUM_PREFIXES) {
    if (v.startsWith(prefix)) {
      v = v.slice(prefix.length);
      break;
    }
  }
  return v.toLowerCase();
}

const ENVIRONMENTS: Record<string, string> = {
  production: "production",
  prod: "production",
  prd: "production",
  staging: "staging",
  stage: "staging",
  stg: "staging",
  development: "development",
  dev: "development",
};

/** "ENVIRONMENT_PRODUCTION" / "prod" → "production"; unknown values are kept lower-cased. */
export function normalizeEnvironment(value: unknown): string | null {
  const s = str(value);
  if (s === null) return null;
  const bare = s.toLowerCase().replace(/^environment_/, "");
  if (bare === "unspecified") return null;
  return ENVIRONMENTS[bare] ?? bare;
}

/** "sha256:<hex>" of the RFC 8785 JSON of a value. */
export function jsonDigest(value: JsonValue): string {
  return `sha256:${hash("sha256", canonicalize(value) ?? "null")}`;
}

function normalizeTime(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function traceIdOf(traceparent: unknown): string | null {
  const s = str(traceparent);
  const match = s === null ? null : /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(s);
  return match?.[1] ?? null;
}

function actorOf(value: unknown): AuditActor {
  const a = obj(value);
  const type = str(a?.type);
  return {
    type: type === null ? "unknown" : normalizeEnumValue(type),
    id: str(a?.id) ?? "unknown",
    name: str(a?.name),
    roles: strings(a?.roles),
    team: str(a?.team),
  };
}

function approvalOf(value: unknown): AuditApproval | null {
  const v = obj(value);
  if (v === undefined) return null;
  const who = obj(v.voter) ?? obj(v.approver) ?? obj(v.by);
  const by = firstStr(who?.id, v.by, v.approverId, v.voterId);
  if (by === null) return null;
  const decision = str(v.decision);
  return {
    by,
    decision: decision === null ? null : normalizeEnumValue(decision),
    at: normalizeTime(v.castAt ?? v.approvedAt ?? v.at ?? v.time),
    comment: str(v.comment),
  };
}

function approvalsOf(data: Obj | undefined): AuditApproval[] {
  const list: unknown[] = Array.isArray(data?.votes)
    ? data.votes
    : Array.isArray(data?.approvals)
      ? data.approvals
      : data?.vote !== undefined
        ? [data.vote]
        : [];
  return list.map(approvalOf).filter((a): a is AuditApproval => a !== null);
}

function aiOf(value: unknown): AuditAi | null {
  const a = obj(value);
  if (a === undefined) return null;
  return {
    model: str(a.model),
    version: str(a.version),
    promptDigest: str(a.promptDigest),
    rationale: str(a.rationale),
    confidence: num(a.confidence),
  };
}

/** The ActionRequest an event is about: the data itself, or nested in a decision or approval. */
function requestOf(data: Obj | undefined): Obj | undefined {
  if (data === undefined) return undefined;
  const nested = obj(data.request) ?? obj(obj(data.approval)?.request);
  if (nested !== undefined) return nested;
  const looksLikeRequest =
    typeof data.action === "string" &&
    (typeof data.agentId === "string" || typeof data.actionId === "string");
  return looksLikeRequest ? data : undefined;
}

function ruleIdsOf(data: Obj | undefined): string[] {
  const matched = data?.matchedRules ?? obj(data?.approval)?.matchedRules;
  if (Array.isArray(matched)) {
    return matched
      .map((r) => (typeof r === "string" ? r : str(obj(r)?.ruleId)))
      .filter((r): r is string => r !== null);
  }
  return strings(data?.ruleIds);
}

function reasonOf(request: Obj | undefined, data: Obj | undefined): string | null {
  const direct = firstStr(request?.reason, data?.reason, obj(data?.state)?.reason);
  if (direct !== null) return direct;
  const reasons = strings(data?.reasons);
  return reasons.length > 0 ? reasons.join("; ") : null;
}

function outcomeOf(data: Obj | undefined): string | null {
  const vote = obj(data?.vote);
  const raw = firstStr(
    data?.outcome,
    data?.status,
    data?.verdict,
    obj(data?.approval)?.status,
    vote?.decision,
    data?.result,
  );
  return raw === null ? null : normalizeEnumValue(raw);
}

function argumentsDigestOf(request: Obj | undefined, data: Obj | undefined): string | null {
  const given = firstStr(data?.argumentsDigest, request?.argumentsDigest);
  if (given !== null) return given;
  if (request?.arguments === undefined) return null;
  return jsonDigest(toStorableJson(request.arguments).value);
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join(".") || "(envelope)"}: ${issue.message}`);
}

/**
 * The audit record draft for one event (everything but seq, recordedAt, retainUntil and the chain
 * fields). Best effort: a malformed envelope is still recorded, with its problems in `issues` and
 * the whole envelope as `data`.
 */
export function recordFromEvent(
  envelope: unknown,
  subject: string,
  options: RecordFromEventOptions,
): AuditRecordDraft {
  const issues: string[] = [];
  // Everything below reads the normalised copy, so every string in the record is well formed.
  const { value: normalized, report } = toStorableJson(envelope);
  issues.push(...describeNormalization("envelope", report));
  const parsed = EnvelopeShape.safeParse(normalized);
  if (!parsed.success) issues.push(...issuesOf(parsed.error));

  const env = obj(normalized);
  // A well-formed envelope keeps its data; anything else is kept whole.
  const data: JsonValue = parsed.success ? ((env?.data as JsonValue | undefined) ?? null) : normalized;

  let eventId = str(env?.id);
  if (eventId !== null && eventId.length > MAX_EVENT_ID_LENGTH) {
    issues.push(`id: longer than ${MAX_EVENT_ID_LENGTH} characters; recorded by digest`);
    eventId = jsonDigest(eventId);
  }
  if (eventId === null) {
    eventId =
      options.fallbackId?.toWellFormed() ??
      jsonDigest({ subject: subject.toWellFormed(), envelope: normalized });
    issues.push(`id: missing; recorded as ${eventId}`);
  }

  let time = normalizeTime(env?.time);
  if (time === null) time = options.receivedAt.toISOString();

  // The summary is read from `data` even when the envelope around it is malformed.
  const d = obj(env?.data);
  const request = requestOf(d);
  const actor = actorOf(env?.actor);
  const environment = normalizeEnvironment(request?.environment ?? d?.environment);
  const approval = obj(d?.approval);

  return {
    eventId,
    type: str(env?.type) ?? "unknown",
    subject: subject.toWellFormed(),
    source: str(env?.source),
    time,
    traceId: traceIdOf(env?.traceparent),
    actor,
    actionId: firstStr(env?.actionId, request?.actionId, d?.actionId),
    agentId: firstStr(request?.agentId, d?.agentId) ?? (actor.type === "ai_agent" ? actor.id : null),
    what: {
      action: firstStr(request?.action, d?.action),
      tool: firstStr(request?.tool, d?.tool),
      argumentsDigest: argumentsDigestOf(request, d),
      target: firstStr(request?.target, d?.target, d?.deploymentId),
    },
    where: {
      environment,
      service: firstStr(request?.service, d?.service),
      resource: firstStr(d?.resource, request?.target, d?.deploymentId),
    },
    why: {
      reason: reasonOf(request, d),
      ticket: firstStr(request?.ticket, d?.ticket, d?.reviewRef),
      ruleIds: ruleIdsOf(d),
      bundleDigest:
        firstStr(d?.bundleDigest, approval?.bundleDigest) ??
        (typeof env?.type === "string" && env.type.startsWith("warden.policy.bundle")
          ? str(d?.digest)
          : null),
    },
    outcome: outcomeOf(d),
    approvals: approvalsOf(d),
    ai: aiOf(request?.ai ?? d?.ai),
    retentionClass: retentionClassFor(environment),
    data,
    encryptedFields: [],
    issues,
  };
}
