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
    serializers: { err: pino.stdSerializers.errWithCause, error: pino.stdSerializers.errWithCause },
    redact: { paths, censor: redactedValue },
    mixin: traceFields,
  };
  return options.destination === undefined ? pino(loggerOptions) : pino(loggerOptions, options.destination);
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
