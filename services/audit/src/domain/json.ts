// JSON values as the audit stores and hashes them, and the normalisation every incoming value goes
// through so that it can be canonicalised (RFC 8785) and stored in a Mongo-wire database.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Deeper values are replaced by a marker string (MongoDB refuses documents nested > 100 levels). */
export const MAX_JSON_DEPTH = 64;
export const TOO_DEEP_MARKER = "[warden-audit: nested too deep]";

/**
 * Escapes for object keys a Mongo-wire store refuses: a leading `$`, a `.`, a NUL. The escaped form
 * uses the full-width look-alikes MongoDB's documentation recommends.
 */
const KEY_ESCAPES: readonly (readonly [RegExp, string])[] = [
  [/^\$/, "\uFF04"],
  [/\./g, "\uFF0E"],
  [/\0/g, "\u2400"],
];

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export type NormalizeReport = {
  /** Strings (or keys) that held lone UTF-16 surrogates; replaced by U+FFFD. */
  malformedStrings: number;
  /** Keys rewritten because a Mongo-wire store cannot hold them. */
  escapedKeys: number;
  /** Values dropped or replaced because JSON cannot represent them (undefined, NaN, functions, …). */
  nonJson: number;
  /** Subtrees cut at MAX_JSON_DEPTH. */
  tooDeep: number;
};

function emptyReport(): NormalizeReport {
  return { malformedStrings: 0, escapedKeys: 0, nonJson: 0, tooDeep: 0 };
}

function wellFormed(s: string, report: NormalizeReport): string {
  if (s.isWellFormed()) return s;
  report.malformedStrings++;
  return s.toWellFormed();
}

function storableKey(key: string, report: NormalizeReport): string {
  let out = wellFormed(key, report);
  if (out.startsWith("$") || out.includes(".") || out.includes("\0")) {
    report.escapedKeys++;
    for (const [pattern, replacement] of KEY_ESCAPES) out = out.replace(pattern, replacement);
  }
  return out;
}

function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  // `__proto__` must become an own property, not the object's prototype. Any other key is a plain
  // assignment: defining every property keeps objects out of V8's fast shapes (3% of the service's
  // busy time under load, measured).
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function normalize(value: unknown, depth: number, report: NormalizeReport): JsonValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
      return wellFormed(value, report);
    case "boolean":
      return value;
    case "number":
      if (Number.isFinite(value)) return value;
      report.nonJson++;
      return null;
    case "bigint":
      report.nonJson++;
      return value.toString();
    case "object":
      break;
    default:
      report.nonJson++;
      return undefined;
  }
  if (depth >= MAX_JSON_DEPTH) {
    report.tooDeep++;
    return TOO_DEEP_MARKER;
  }
  const withToJson = value as { toJSON?: unknown };
  if (typeof withToJson.toJSON === "function") {
    return normalize((withToJson.toJSON as () => unknown).call(value), depth, report);
  }
  if (Array.isArray(value)) {
    return value.map((item: unknown) => normalize(item, depth + 1, report) ?? null);
  }
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const normalized = normalize(item, depth + 1, report);
    if (normalized === undefined) continue;
    setOwn(out, storableKey(key, report), normalized);
  }
  return out;
}

/**
 * A deep copy of `value` that RFC 8785 canonicalisation accepts and a Mongo-wire store can hold:
 * lone surrogates become U+FFFD, non-finite numbers null, undefined and functions are dropped,
 * `toJSON` is applied, unstorable keys are escaped and nesting is cut at MAX_JSON_DEPTH.
 * Never throws; `report` counts what had to change.
 */
export function toStorableJson(value: unknown): { value: JsonValue; report: NormalizeReport } {
  const report = emptyReport();
  return { value: normalize(value, 0, report) ?? null, report };
}

/** Human-readable notes for a NormalizeReport, empty when nothing changed. */
export function describeNormalization(where: string, report: NormalizeReport): string[] {
  const notes: string[] = [];
  if (report.malformedStrings > 0) {
    notes.push(`${where}: ${report.malformedStrings} string(s) with lone surrogates stored with U+FFFD`);
  }
  if (report.escapedKeys > 0) {
    notes.push(`${where}: ${report.escapedKeys} key(s) with '$', '.' or NUL escaped (＄ ． ␀) for storage`);
  }
  if (report.nonJson > 0)
    notes.push(`${where}: ${report.nonJson} value(s) JSON cannot hold dropped or replaced`);
  if (report.tooDeep > 0) notes.push(`${where}: nested deeper than ${MAX_JSON_DEPTH} levels, cut`);
  return notes;
}
