// The proto3 JSON mapping (https://protobuf.dev/programming-guides/json/) as its reference
// implementation for TypeScript parses it: @bufbuild/protobuf's fromJson over the committed
// descriptor set. Incoming `data` is read with it — original or lowerCamelCase field names, enum
// names or numbers, 64-bit integers as numbers or strings, omitted fields and `null` as defaults —
// and written back in the one canonical form the event schemas check (toJson: lowerCamelCase,
// enum names, defaults omitted). Only when the mapping refuses a value does this module walk the
// value itself, to name the field and say what the mapping expected.
import { createFileRegistry, fromBinary, fromJson, ScalarType, toJson } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescMessage, JsonValue, Registry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { readDescriptorSet } from "@warden/contracts";
import { InvalidMessageError, type FieldIssue } from "./errors.ts";

let registry: Registry | undefined;

/** Every Warden proto message, read once from the descriptor set @warden/contracts commits. */
export function protoRegistry(): Registry {
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, readDescriptorSet()));
  return registry;
}

/** The descriptor of a Warden proto message, e.g. "warden.common.v1.ActionRequest". */
export function protoMessage(typeName: string): DescMessage {
  const message = protoRegistry().getMessage(typeName);
  if (message === undefined) throw new Error(`${typeName} is not in the descriptor set`);
  return message;
}

/**
 * Reads `json` as the proto3 JSON of `message` and returns its canonical proto JSON. A value the
 * mapping refuses throws InvalidMessageError("schema") naming the field (under `prefix`), what the
 * mapping expects there and what it got.
 */
export function canonicalProtoJson(message: DescMessage, json: unknown, prefix = ""): JsonValue {
  try {
    return toJson(message, fromJson(message, json as JsonValue));
  } catch (err) {
    const issue = locateRefusal(message, json, prefix) ?? {
      field: prefix || "(message)",
      reason: err instanceof Error ? err.message : String(err),
    };
    throw new InvalidMessageError("schema", [issue]);
  }
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether the mapping accepts `value` for `field` on its own. */
function accepts(message: DescMessage, field: DescField, value: unknown): boolean {
  try {
    fromJson(message, { [field.name]: value } as JsonValue);
    return true;
  } catch {
    return false;
  }
}

/** A message with its own JSON form (Timestamp, Struct, …) is checked whole, not field by field. */
function hasOwnJsonForm(message: DescMessage): boolean {
  return message.typeName.startsWith("google.protobuf.");
}

/** The first value in `json` the mapping refuses, as a field issue; undefined if none is found. */
function locateRefusal(message: DescMessage, json: unknown, path: string): FieldIssue | undefined {
  if (!isObject(json)) {
    return { field: path || "(message)", reason: `expected an object (${message.name}), got ${got(json)}` };
  }
  const seen = new Map<DescField, string>();
  for (const [key, value] of Object.entries(json)) {
    const field = message.fields.find((f) => f.jsonName === key || f.name === key);
    if (field === undefined) {
      return { field: join(path, key), reason: `unknown field: ${message.name} has no field "${key}"` };
    }
    const twice = seen.get(field);
    if (twice !== undefined) {
      return { field: join(path, field.jsonName), reason: `set twice, as "${twice}" and "${key}"` };
    }
    seen.set(field, key);
    const issue = locateInField(message, field, value, join(path, field.jsonName));
    if (issue !== undefined) return issue;
  }
  return undefined;
}

function locateInField(
  message: DescMessage,
  field: DescField,
  value: unknown,
  path: string,
): FieldIssue | undefined {
  if (value === null || accepts(message, field, value)) return undefined;
  const refused = { field: path, reason: `expected ${expected(field)}, got ${got(value)}` };
  switch (field.fieldKind) {
    case "message":
      return hasOwnJsonForm(field.message) ? refused : (locateRefusal(field.message, value, path) ?? refused);
    case "list": {
      if (!Array.isArray(value)) return refused;
      for (const [i, item] of value.entries()) {
        if (accepts(message, field, [item])) continue;
        const at = join(path, String(i));
        if (field.listKind === "message" && !hasOwnJsonForm(field.message) && item !== null) {
          return locateRefusal(field.message, item, at) ?? { field: at, reason: refused.reason };
        }
        return { field: at, reason: `expected ${expectedItem(field)}, got ${got(item)}` };
      }
      return refused;
    }
    case "map": {
      if (!isObject(value)) return refused;
      for (const [key, item] of Object.entries(value)) {
        if (accepts(message, field, { [key]: item })) continue;
        const at = join(path, key);
        if (field.mapKind === "message" && !hasOwnJsonForm(field.message) && item !== null) {
          return locateRefusal(field.message, item, at) ?? { field: at, reason: refused.reason };
        }
        return { field: at, reason: `expected ${expectedItem(field)}, got ${got(item)}` };
      }
      return refused;
    }
    default:
      return refused;
  }
}

const SCALAR_NAMES: Partial<Record<ScalarType, string>> = {
  [ScalarType.STRING]: "a string",
  [ScalarType.BOOL]: "true or false",
  [ScalarType.BYTES]: "base64-encoded bytes",
  [ScalarType.DOUBLE]: 'a number (or "NaN", "Infinity", "-Infinity")',
  [ScalarType.FLOAT]: 'a 32-bit float (or "NaN", "Infinity", "-Infinity")',
  [ScalarType.INT32]: "an int32 (a whole number or a decimal string)",
  [ScalarType.SINT32]: "an int32 (a whole number or a decimal string)",
  [ScalarType.SFIXED32]: "an int32 (a whole number or a decimal string)",
  [ScalarType.UINT32]: "a uint32 (a whole number ≥ 0 or a decimal string)",
  [ScalarType.FIXED32]: "a uint32 (a whole number ≥ 0 or a decimal string)",
  [ScalarType.INT64]: "an int64 (a whole number or a decimal string)",
  [ScalarType.SINT64]: "an int64 (a whole number or a decimal string)",
  [ScalarType.SFIXED64]: "an int64 (a whole number or a decimal string)",
  [ScalarType.UINT64]: "a uint64 (a whole number ≥ 0 or a decimal string)",
  [ScalarType.FIXED64]: "a uint64 (a whole number ≥ 0 or a decimal string)",
};

function scalarName(scalar: ScalarType): string {
  return SCALAR_NAMES[scalar] ?? "a scalar";
}

function messageName(message: DescMessage): string {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return "an RFC 3339 timestamp such as 2026-11-22T10:00:00Z";
    case "google.protobuf.Struct":
      return "an object";
    case "google.protobuf.Value":
      return "a JSON value";
    case "google.protobuf.ListValue":
      return "a list";
    default:
      return `an object (${message.name})`;
  }
}

function enumName(descEnum: DescEnum): string {
  const names = descEnum.values.map((v) => v.name);
  return `one of ${names.join(", ")} (or its number)`;
}

/** What the mapping expects for a field, from its descriptor. */
function expected(field: DescField): string {
  switch (field.fieldKind) {
    case "scalar":
      return scalarName(field.scalar);
    case "enum":
      return enumName(field.enum);
    case "message":
      return messageName(field.message);
    case "list":
    case "map":
      return `${field.fieldKind === "list" ? "a list" : "an object"} of ${expectedItem(field)}`;
  }
}

function expectedItem(field: DescField): string {
  switch (field.fieldKind) {
    case "list":
      if (field.listKind === "scalar") return scalarName(field.scalar);
      if (field.listKind === "enum") return enumName(field.enum);
      return messageName(field.message);
    case "map":
      if (field.mapKind === "scalar") return scalarName(field.scalar);
      if (field.mapKind === "enum") return enumName(field.enum);
      return messageName(field.message);
    default:
      return expected(field);
  }
}

/** A JSON value for an error message: its kind and (the start of) its text. */
export function got(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  const kind = Array.isArray(value) ? "a list" : typeof value === "object" ? "an object" : `${typeof value}`;
  const text = JSON.stringify(value);
  return `${kind} ${text.length > 64 ? `${text.slice(0, 61)}...` : text}`;
}
