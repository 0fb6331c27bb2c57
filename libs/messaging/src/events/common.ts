// Data schemas for warden.common.v1 payloads: Warden's own limits over the canonical proto JSON
// (camelCase names, enum value names as strings, 64-bit integers as numbers or decimal strings,
// default values omitted). Received data reaches them through the proto3 JSON mapping
// (../proto-json.ts), which accepts every form the mapping allows and writes it back canonically;
// a field without presence that is absent therefore means its default, and `unset()` hands that
// default to the limit (an absent `currencyCode` is "", which is no ISO code). Strict: an unknown
// field is an error, so a misspelt field ("enviroment") can never slip past a rule that reads the
// right one. proto/warden/common/v1/*.proto is the contract; events.drift.test.ts checks these
// match it and conformance.test.ts that every form the mapping allows gets here.
import { z } from "zod";

/** A proto3 field without presence: absent means its default value, which then meets the limit. */
export function unset<S extends z.ZodType>(schema: S, zero: string | number | boolean | readonly never[]) {
  return z.preprocess((value) => (value === undefined ? zero : value), schema);
}

const id = z.string().min(1).max(128);
const text = (max: number) => z.string().max(max);
/** proto3 JSON writes 64-bit integers as strings; accept both. */
export const Int64 = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
export const UInt64 = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);
export const Timestamp = z.iso.datetime({ offset: true });

export const ActorType = z.enum(["ACTOR_TYPE_HUMAN", "ACTOR_TYPE_AI_AGENT", "ACTOR_TYPE_SERVICE"]);
/** An envelope actor's type (`human`, `ai_agent`, `service`) as the proto enum writes it. */
export const ACTOR_TYPE_TO_WIRE = {
  human: "ACTOR_TYPE_HUMAN",
  ai_agent: "ACTOR_TYPE_AI_AGENT",
  service: "ACTOR_TYPE_SERVICE",
} as const;
export const Environment = z.enum([
  "ENVIRONMENT_DEVELOPMENT",
  "ENVIRONMENT_STAGING",
  "ENVIRONMENT_PRODUCTION",
]);
export const RiskLevel = z.enum([
  "RISK_LEVEL_LOW",
  "RISK_LEVEL_MEDIUM",
  "RISK_LEVEL_HIGH",
  "RISK_LEVEL_CRITICAL",
]);
export const ChangeType = z.enum([
  "CHANGE_TYPE_CODE",
  "CHANGE_TYPE_SECURITY",
  "CHANGE_TYPE_INFRASTRUCTURE",
  "CHANGE_TYPE_AI_AGENT_RULE",
  "CHANGE_TYPE_COMPLIANCE",
  "CHANGE_TYPE_DATA",
]);
export const VersionChange = z.enum(["VERSION_CHANGE_PATCH", "VERSION_CHANGE_MINOR", "VERSION_CHANGE_MAJOR"]);

export const ActorData = z.strictObject({
  type: unset(ActorType, "ACTOR_TYPE_UNSPECIFIED"),
  id: unset(id, ""),
  name: text(256).optional(),
  roles: z.array(z.string().min(1).max(128)).max(64).optional(),
  team: text(128).optional(),
});

export const Money = z.strictObject({
  currencyCode: unset(z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"), ""),
  units: unset(Int64, 0),
  nanos: z.number().int().min(-999_999_999).max(999_999_999).optional(),
});

export const OutboundMessage = z.strictObject({
  /** "" (absent) is an unnamed channel: rules read `external` and `body`. */
  channel: unset(text(128), ""),
  external: z.boolean().optional(),
  body: unset(text(64 * 1024), ""),
  recipients: z.array(text(320)).max(1_000).optional(),
});

export const AiContext = z.strictObject({
  model: text(256).optional(),
  version: text(128).optional(),
  promptDigest: text(256).optional(),
  rationale: text(16 * 1024).optional(),
  confidence: z.number().min(0).max(1).optional(),
});

/** warden.common.v1.ActionRequest — what an agent asks to do. */
export const ActionRequestData = z.strictObject({
  actionId: unset(id, ""),
  agentId: unset(id, ""),
  action: unset(z.string().min(1).max(128), ""),
  tool: text(256).optional(),
  changeType: ChangeType.optional(),
  environment: Environment.optional(),
  versionChange: VersionChange.optional(),
  target: text(512).optional(),
  service: text(128).optional(),
  amount: Money.optional(),
  message: OutboundMessage.optional(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  requestedBy: ActorData.optional(),
  ticket: text(128).optional(),
  reason: text(4096).optional(),
  ai: AiContext.optional(),
  requestedAt: Timestamp.optional(),
  labels: z.record(z.string().max(128), z.string().max(512)).optional(),
});
export type ActionRequestData = z.infer<typeof ActionRequestData>;

/** warden.common.v1.InvalidEvent — a message that can never be valid, kept for the audit. */
export const InvalidEventData = z.strictObject({
  reason: unset(z.enum(["malformed_json", "schema", "unknown_type", "oversized", "identity"]), ""),
  detail: unset(z.string(), ""),
  field: z.string().optional(),
  originalSubject: unset(z.string(), ""),
  /** base64 (proto `bytes`), at most the first INVALID_PAYLOAD_PREVIEW_BYTES. */
  originalPayload: unset(z.string(), ""),
  payloadTruncated: unset(z.boolean(), false),
  originalSize: unset(UInt64, 0),
  detectedBy: unset(z.string(), ""),
  receivedAt: Timestamp,
  streamSeq: UInt64.optional(),
});
export type InvalidEventData = z.infer<typeof InvalidEventData>;

/** warden.common.v1.AccessRefused: a caller refused at a service's door (libs/service publishes it). */
export const AccessRefusedData = z.strictObject({
  service: z.string().min(1).max(64),
  transport: z.enum(["grpc", "http", "nats"]),
  operation: z.string().min(1).max(256),
  code: z.enum(["unauthenticated", "permission_denied"]),
  reason: unset(text(1024), ""),
  actor: ActorData.optional(),
  missingRoles: z.array(z.string().max(128)).max(32).optional(),
  peer: unset(text(256), ""),
  refusedAt: Timestamp.optional(),
});
export type AccessRefusedData = z.infer<typeof AccessRefusedData>;
export const ExecutionOutcome = z.enum([
  "EXECUTION_OUTCOME_SUCCEEDED",
  "EXECUTION_OUTCOME_FAILED",
  "EXECUTION_OUTCOME_ABORTED",
]);

/** warden.common.v1.ActionExecuted — how a guarded action ended (the SDK's `guard`). */
export const ActionExecutedData = z.strictObject({
  actionId: unset(id, ""),
  agentId: unset(id, ""),
  outcome: unset(ExecutionOutcome, "EXECUTION_OUTCOME_UNSPECIFIED"),
  durationMs: unset(z.number().nonnegative(), 0),
  resultDigest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex>")
    .optional(),
  error: text(4096).optional(),
  requestDigest: z.string().max(256).optional(),
  approved: z.boolean().optional(),
  ai: AiContext.optional(),
  startedAt: Timestamp,
  finishedAt: Timestamp,
});
export type ActionExecutedData = z.infer<typeof ActionExecutedData>;
