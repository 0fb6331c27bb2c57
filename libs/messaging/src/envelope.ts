// The CloudEvents-style envelope every Warden event travels in (DESIGN.md §3), validated with zod on
// publish and on receive. The `data` payload is validated by the event type's own schema.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { InvalidMessageError, type FieldIssue } from "./errors.ts";
import { canonicalProtoJson, got, protoMessage } from "./proto-json.ts";

/** Default limit on an encoded event; NATS's own max_payload is 1 MiB. */
export const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const EVENT_TYPE = /^warden\.[a-z0-9_]+(\.[a-z0-9_]+)*$/;

export const ActorSchema = z.strictObject({
  type: z.enum(["human", "ai_agent", "service"]),
  id: z.string().min(1).max(256),
  name: z.string().max(256).optional(),
  roles: z.array(z.string().min(1).max(128)).max(64).default([]),
});
export type Actor = z.infer<typeof ActorSchema>;

export const EnvelopeSchema = z.strictObject({
  id: z.string().min(1).max(128),
  type: z.string().regex(EVENT_TYPE, "must look like warden.<domain>.<event>"),
  source: z.string().min(1).max(256),
  time: z.iso.datetime({ offset: true }),
  actionId: z.string().min(1).max(128).optional(),
  actor: ActorSchema,
  traceparent: z.string().regex(TRACEPARENT, "must be a W3C traceparent").optional(),
  data: z.unknown(),
});
export type Envelope<T = unknown> = Omit<z.infer<typeof EnvelopeSchema>, "data"> & { data: T };

/**
 * An event type: its name, the schema of its data, whether it belongs to one action, and the proto
 * message its data is the JSON of (received data is read with the proto3 JSON mapping first).
 */
export type EventDefinition<T> = {
  readonly type: string;
  readonly data: z.ZodType<T>;
  readonly requiresActionId: boolean;
  /** Full name of the proto message, e.g. "warden.common.v1.ActionRequest". */
  readonly proto?: string | undefined;
};

export function defineEvent<T>(
  type: string,
  data: z.ZodType<T>,
  options: { requiresActionId: boolean; proto?: string },
): EventDefinition<T> {
  if (!EVENT_TYPE.test(type)) throw new Error(`event type ${type} must look like warden.<domain>.<event>`);
  return { type, data, requiresActionId: options.requiresActionId, proto: options.proto };
}

/** The event types a consumer understands, keyed by type. */
export type EventCatalog = ReadonlyMap<string, EventDefinition<unknown>>;

export function createCatalog(definitions: readonly EventDefinition<unknown>[]): EventCatalog {
  return new Map(definitions.map((d) => [d.type, d]));
}

export type NewEvent<T> = {
  source: string;
  actor: Actor;
  data: T;
  actionId?: string | undefined;
  traceparent?: string | undefined;
  /** Set it to make a re-publish of the same fact de-duplicate (it becomes the Nats-Msg-Id). */
  id?: string | undefined;
  time?: Date | undefined;
};

/**
 * A zod error as field issues, the field path prefixed (e.g. "data"). The reason says what was
 * expected and, when the schema was run with `reportInput`, what it got.
 */
export function issuesOf(error: z.ZodError, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter((p) => p !== "").join(".") || "(message)",
    reason:
      issue.input === undefined || issue.message.includes("received")
        ? issue.message
        : `${issue.message}, got ${got(issue.input)}`,
  }));
}

/** zod parse options: issues carry the offending input, for issuesOf. */
const REPORT_INPUT = { reportInput: true } as const;

/**
 * Received data → the event's checked value: read with the proto3 JSON mapping when the definition
 * names its proto message (any form the mapping allows, written back canonically), then Warden's
 * own limits (the zod schema). Throws InvalidMessageError("schema") naming the field under `prefix`.
 */
export function parseEventData<T>(definition: EventDefinition<T>, json: unknown, prefix = "data"): T {
  const canonical =
    definition.proto === undefined ? json : canonicalProtoJson(protoMessage(definition.proto), json, prefix);
  const parsed = definition.data.safeParse(canonical, REPORT_INPUT);
  if (!parsed.success) throw new InvalidMessageError("schema", issuesOf(parsed.error, prefix));
  return parsed.data;
}

/** A request body (e.g. a request-reply `data` object) as bytes → the event's checked data. */
export function parseEventDataBytes<T>(
  bytes: Uint8Array,
  definition: EventDefinition<T>,
  maxBytes: number,
): T {
  return parseEventData(definition, parseJsonBytes(bytes, z.unknown(), maxBytes), "");
}

function checkActionId(definition: EventDefinition<unknown>, actionId: string | undefined): void {
  if (definition.requiresActionId && actionId === undefined) {
    throw new InvalidMessageError("schema", [
      { field: "actionId", reason: `required for ${definition.type}` },
    ]);
  }
}

/** Builds a validated envelope; a bad field throws InvalidMessageError naming it. */
export function buildEvent<T>(definition: EventDefinition<T>, event: NewEvent<T>): Envelope<T> {
  const parsedData = definition.data.safeParse(event.data, REPORT_INPUT);
  if (!parsedData.success) throw new InvalidMessageError("schema", issuesOf(parsedData.error, "data"));
  const candidate = {
    id: event.id ?? randomUUID(),
    type: definition.type,
    source: event.source,
    time: (event.time ?? new Date()).toISOString(),
    actor: event.actor,
    ...(event.actionId !== undefined && { actionId: event.actionId }),
    ...(event.traceparent !== undefined && { traceparent: event.traceparent }),
    data: parsedData.data,
  };
  const parsed = EnvelopeSchema.safeParse(candidate, REPORT_INPUT);
  if (!parsed.success) throw new InvalidMessageError("schema", issuesOf(parsed.error, ""));
  checkActionId(definition, parsed.data.actionId);
  return { ...parsed.data, data: parsedData.data };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeEvent(envelope: Envelope<unknown>, maxBytes = DEFAULT_MAX_EVENT_BYTES): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(envelope));
  if (bytes.byteLength > maxBytes) {
    throw new InvalidMessageError("oversized", [
      { field: "(message)", reason: `${bytes.byteLength} bytes exceeds the ${maxBytes}-byte limit` },
    ]);
  }
  return bytes;
}

/** Parses and validates an envelope whose type the catalog knows; throws InvalidMessageError. */
export function decodeEvent(
  bytes: Uint8Array,
  catalog: EventCatalog,
  maxBytes = DEFAULT_MAX_EVENT_BYTES,
): Envelope<unknown> {
  const envelope = decodeEnvelope(bytes, maxBytes);
  const definition = catalog.get(envelope.type);
  if (definition === undefined) {
    throw new InvalidMessageError("unknown_type", [
      { field: "type", reason: `unknown event type ${envelope.type}` },
    ]);
  }
  return checkData(definition, envelope);
}

/** Parses and validates an envelope of one expected type. */
export function decodeEventAs<T>(
  bytes: Uint8Array,
  definition: EventDefinition<T>,
  maxBytes = DEFAULT_MAX_EVENT_BYTES,
): Envelope<T> {
  const envelope = decodeEnvelope(bytes, maxBytes);
  if (envelope.type !== definition.type) {
    throw new InvalidMessageError("unknown_type", [
      { field: "type", reason: `expected ${definition.type}, got ${envelope.type}` },
    ]);
  }
  return checkData(definition, envelope);
}

/**
 * Bytes → validated value: size limit, UTF-8 JSON, then the schema. Every failure is an
 * InvalidMessageError naming the field and the reason (oversized / malformed_json / schema).
 */
export function parseJsonBytes<T>(bytes: Uint8Array, schema: z.ZodType<T>, maxBytes: number): T {
  if (bytes.byteLength > maxBytes) {
    throw new InvalidMessageError("oversized", [
      { field: "(message)", reason: `${bytes.byteLength} bytes exceeds the ${maxBytes}-byte limit` },
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    throw new InvalidMessageError("malformed_json", [
      { field: "(message)", reason: `not valid UTF-8 JSON: ${(err as Error).message}` },
    ]);
  }
  const parsed = schema.safeParse(json, REPORT_INPUT);
  if (!parsed.success) throw new InvalidMessageError("schema", issuesOf(parsed.error));
  return parsed.data;
}

/**
 * Parses and validates the envelope only, leaving `data` unchecked (the audit records any type).
 * Its failures have scope `envelope`: every consumer of the message would find the same.
 */
export function decodeEnvelope(bytes: Uint8Array, maxBytes = DEFAULT_MAX_EVENT_BYTES): Envelope<unknown> {
  try {
    return parseJsonBytes(bytes, EnvelopeSchema, maxBytes);
  } catch (err) {
    if (err instanceof InvalidMessageError) {
      throw new InvalidMessageError(err.reason, err.issues, { scope: "envelope" });
    }
    throw err;
  }
}

function checkData<T>(definition: EventDefinition<T>, envelope: Envelope<unknown>): Envelope<T> {
  checkActionId(definition, envelope.actionId);
  return { ...envelope, data: parseEventData(definition, envelope.data) };
}
