import { z } from "zod";

// Helpers for keys every service has. Each returns a zod schema over the raw string value with a
// `.describe()` text that ConfigError prints as the expected form; pass `description` to override.

const natsProtocols = ["nats:", "tls:", "ws:", "wss:"];

function urlWith(protocols: readonly string[], message: string) {
  return z.string().refine((value) => {
    if (!URL.canParse(value)) return false;
    return protocols.length === 0 || protocols.includes(new URL(value).protocol);
  }, message);
}

/** A URL, optionally restricted to some protocols (`["http:", "https:"]`, with the colon). */
export function url(protocols: readonly string[] = [], description?: string) {
  const forms = protocols.length === 0 ? "a URL" : `a ${protocols.map((p) => `${p}//`).join(" or ")} URL`;
  return urlWith(protocols, `not ${forms}`).describe(
    description ?? `${forms}, e.g. https://collector.example:4318`,
  );
}

/** A NATS server URL (nats://, tls://, ws:// or wss://). */
export function natsUrl(description = "a nats:// URL, e.g. nats://127.0.0.1:4222") {
  return urlWith(natsProtocols, "not a nats://, tls://, ws:// or wss:// URL").describe(description);
}

/**
 * A MongoDB connection string, mongodb:// or mongodb+srv://, with one host or a replica set's seed
 * list (`mongodb://u:p@m1:27017,m2:27017,m3:27017/?replicaSet=rs0`, which WHATWG URL parsing refuses).
 */
export function mongoUrl(
  description = "a mongodb:// URL, e.g. mongodb://m1:27017,m2:27017,m3:27017/?replicaSet=rs0",
) {
  return z
    .string()
    .refine((value) => {
      const match = /^(mongodb(?:\+srv)?:\/\/)([^/?#]*)(.*)$/.exec(value);
      if (match === null) return false;
      const [, scheme = "", authority = "", rest = ""] = match;
      const at = authority.lastIndexOf("@");
      const userinfo = at === -1 ? "" : authority.slice(0, at + 1);
      const hosts = authority.slice(at + 1).split(",");
      return hosts.every((host) => host !== "" && URL.canParse(`${scheme}${userinfo}${host}${rest}`));
    }, "not a mongodb:// or mongodb+srv:// URL")
    .describe(description);
}

/** A `host:port` address (no scheme), e.g. a Temporal frontend. */
export function hostPort(description = "a host:port address, e.g. 127.0.0.1:7233") {
  return z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "not host:port")
    .refine((value) => Number(value.slice(value.lastIndexOf(":") + 1)) <= 65535, "port above 65535")
    .describe(description);
}

/** A TCP port, 0 to 65535 (0 = any free port). Output: a number. */
export function port(description = "a TCP port number 0-65535, e.g. 8080") {
  return z
    .string()
    .regex(/^\d+$/, "not a whole number")
    .transform(Number)
    .pipe(z.number().int().max(65535, "above 65535"))
    .describe(description);
}

/** A whole number within optional bounds. Output: a number. */
export function integer(options: { min?: number; max?: number } = {}, description?: string) {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  const range = `${options.min ?? "any"}..${options.max ?? "any"}`;
  return z
    .string()
    .regex(/^-?\d+$/, "not a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `below ${min}`).max(max, `above ${max}`))
    .describe(description ?? `a whole number (${range})`);
}

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/** A pino log level. */
export function logLevel(description = `one of ${logLevels.join(", ")}, e.g. info`) {
  return z.enum(logLevels).describe(description);
}

const durationUnits: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** A duration with a unit: `250ms`, `30s`, `5m`, `1.5h`, `7d`. Output: milliseconds. */
export function duration(description = "a duration with unit ms, s, m, h or d, e.g. 30s or 5m") {
  return z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, "not a duration")
    .transform((value) => {
      const unit = /(ms|s|m|h|d)$/.exec(value)?.[0] ?? "ms";
      return Math.round(Number.parseFloat(value) * (durationUnits[unit] ?? 1));
    })
    .describe(description);
}

/** `true` or `false` (any case). Output: a boolean. */
export function bool(description = "true or false") {
  return z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.enum(["true", "false"], { error: "not true or false" }))
    .transform((value) => value === "true")
    .describe(description);
}

/** A comma-separated list (items trimmed, empty items dropped); `item` validates each entry. */
export function list(): z.ZodType<string[], string>;
export function list<T extends z.ZodType<unknown, string>>(
  item: T,
  description?: string,
): z.ZodType<z.output<T>[], string>;
export function list(
  item: z.ZodType<unknown, string> = z.string(),
  description?: string,
): z.ZodType<unknown[], string> {
  return z
    .string()
    .transform(splitList)
    .pipe(z.array(item))
    .describe(description ?? "a comma-separated list, e.g. a,b,c");
}

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, description?: string) {
  return z.enum(values).describe(description ?? `one of ${values.join(", ")}`);
}

/** A non-empty secret (token, password). ConfigError never prints values, secret or not. */
export function secret(description = "a non-empty secret") {
  return z.string().min(1).describe(description);
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * Keys every service reads (spread into a service's schema): log level, the ops HTTP port for
 * `/metrics` and `/healthz`, and where traces go.
 */
export const serviceKeys = {
  LOG_LEVEL: logLevel().default("info"),
  OPS_HOST: z.string().describe("the ops HTTP listen address, e.g. 0.0.0.0").default("0.0.0.0"),
  OPS_PORT: port().default(9464),
  OTEL_TRACES_EXPORTER: oneOf(["none", "otlp", "console"] as const, "one of none, otlp, console").default(
    "none",
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(
    ["http:", "https:"],
    "the OTLP/HTTP collector base URL, e.g. http://127.0.0.1:4318",
  ).optional(),
};
