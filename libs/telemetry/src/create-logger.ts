import { isSpanContextValid, trace } from "@opentelemetry/api";
import { pino } from "pino";
import type { DestinationStream, Level, Logger } from "pino";

export type { Logger } from "pino";
export type LogLevel = Level | "silent";

/** Field names that never reach a log line, at any depth up to four levels. */
export const sensitiveKeys: readonly string[] = [
  "authorization",
  "Authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "idToken",
  "id_token",
  "bearer",
  "jwt",
  "password",
  "passwd",
  "passphrase",
  "secret",
  "clientSecret",
  "client_secret",
  "apiKey",
  "api_key",
  "x-api-key",
  "privateKey",
  "private_key",
  "credentials",
  "creds",
];

/** Message-body fields, redacted when `redactBodies` is set. */
export const bodyKeys: readonly string[] = ["body", "payload", "data"];

const maxDepth = 4;

/** The pino redaction paths covering `key` at the top level and up to three levels below. */
export function redactPathsFor(keys: readonly string[]): string[] {
  const paths: string[] = [];
  for (const key of keys) {
    const access = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    for (let depth = 0; depth < maxDepth; depth += 1) {
      const prefix = "*.".repeat(depth);
      paths.push(
        access.startsWith("[")
          ? depth === 0
            ? access
            : `${prefix.slice(0, -1)}${access}`
          : `${prefix}${access}`,
      );
    }
  }
  return paths;
}

export const redactedValue = "[redacted]";

export interface LoggerOptions {
  /** Service name, on every line as `service`. */
  service: string;
  level?: LogLevel;
  /** Extra pino redaction paths (`"user.ssn"`, `"*.pin"`), added to the defaults. */
  redact?: readonly string[];
  /** Also redact message bodies (`body`, `payload`, `data` fields). */
  redactBodies?: boolean;
  /** Where lines go; stdout by default. Tests pass a stream to capture output. */
  destination?: DestinationStream;
}

/**
 * A pino JSON logger: ISO time, level as a label, `service` on every line, the active trace and
 * span ids (`trace_id`, `span_id`) when inside a span, `{ err }` serialized with its cause chain,
 * and secrets redacted (see {@link sensitiveKeys}).
 */
export function createLogger(options: LoggerOptions): Logger {
  const paths = [
    ...redactPathsFor(sensitiveKeys),
    ...(options.redactBodies === true ? redactPathsFor(bodyKeys) : []),
    ...(options.redact ?? []),
  ];
  const loggerOptions = {
    level: options.level ?? "info",
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { err: serializeError, error: serializeError },
    redact: { paths, censor: redactedValue },
    mixin: traceFields,
  };
  return options.destination === undefined ? pino(loggerOptions) : pino(loggerOptions, options.destination);
}

/**
 * pino's errWithCause, except that values among the error's own fields which are neither plain
 * data nor errors (a driver's topology description: Maps, class instances, cycles) are named, not
 * walked. Otherwise one such field turns the whole error into "[unable to serialize, circular
 * reference is too complex to analyze]" and the message and stack are lost with it.
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return plainData(pino.stdSerializers.errWithCause(err), 0);
}

const MAX_ERROR_DEPTH = 5;
/** The prototype of errWithCause's output (and of the `cause` it nests). */
const SERIALIZED_ERROR_PROTO = Object.getPrototypeOf(pino.stdSerializers.errWithCause(new Error("probe"))) as
  object | null;

function plainData(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_ERROR_DEPTH) return "[…]";
  if (Array.isArray(value)) return value.map((item) => plainData(item, depth + 1));
  // errWithCause serializes errors in fields, not in arrays (AggregateError's `errors`).
  if (value instanceof Error) return plainData(pino.stdSerializers.errWithCause(value), depth + 1);
  const proto = Object.getPrototypeOf(value) as object | null;
  // Anything but plain objects and errWithCause's own output is some library's instance.
  const plain = proto === null || proto === Object.prototype || proto === SERIALIZED_ERROR_PROTO;
  if (!plain) return `[${(value as { constructor?: { name?: string } }).constructor?.name ?? "object"}]`;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = plainData(field, depth + 1);
  return out;
}

/** The per-module child logger convention: `childLogger(log, "nats")` adds `module: "nats"`. */
export function childLogger(parent: Logger, module: string, bindings: Record<string, unknown> = {}): Logger {
  return parent.child({ ...bindings, module });
}

function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
