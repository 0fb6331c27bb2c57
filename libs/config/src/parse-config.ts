import { z } from "zod";
import { ConfigError } from "./config-error.ts";
import type { ConfigIssue } from "./config-error.ts";

/** Where values come from: `process.env` by default, any string record in tests. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** One output field read from one environment variable (the mapping form of {@link parseConfig}). */
export interface EnvKey<T extends z.ZodType = z.ZodType> {
  readonly env: string;
  readonly schema: T;
}

/** A mapping from output field names to environment keys: `{ natsUrl: fromEnv("NATS_URL", natsUrl()) }`. */
export type ConfigMapping = Readonly<Record<string, EnvKey>>;

export type MappedConfig<M extends ConfigMapping> = { -readonly [K in keyof M]: z.output<M[K]["schema"]> };

/** Names the environment variable that feeds one field of a mapped config. */
export function fromEnv<T extends z.ZodType>(env: string, schema: T): EnvKey<T> {
  return { env, schema };
}

/**
 * Parses configuration from the environment, once, at start-up.
 *
 * - `schema`: a zod object whose keys are environment variable names; the result has the same keys.
 * - or a mapping `{ field: fromEnv("ENV_NAME", schema) }`; the result has the mapping's field names.
 *
 * An empty string counts as unset. On failure throws {@link ConfigError} listing every missing or
 * invalid key with its expected form (each field's `.describe()` text).
 */
export function parseConfig<S extends z.ZodObject>(schema: S, env?: EnvSource): z.output<S>;
export function parseConfig<M extends ConfigMapping>(mapping: M, env?: EnvSource): MappedConfig<M>;
export function parseConfig(
  schemaOrMapping: z.ZodObject | ConfigMapping,
  // The one place outside a service's config.ts that reads the process environment: its default.
  // eslint-disable-next-line no-restricted-properties
  env: EnvSource = process.env,
): Record<string, unknown> {
  if (isZodObject(schemaOrMapping)) {
    return parseObject(schemaOrMapping, env);
  }
  const mapping = schemaOrMapping;
  const shape: Record<string, z.ZodType> = {};
  for (const field of Object.values(mapping)) {
    shape[field.env] = field.schema;
  }
  const byEnv = parseObject(z.object(shape), env);
  const result: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(mapping)) {
    result[name] = byEnv[field.env];
  }
  return result;
}

// Structural check, so a schema built with another copy of zod is still recognised.
function isZodObject(value: z.ZodObject | ConfigMapping): value is z.ZodObject {
  return "_zod" in value && (value as z.ZodObject)._zod.def.type === "object";
}

function parseObject(schema: z.ZodObject, env: EnvSource): Record<string, unknown> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === undefined || value.trim() === "" ? undefined : value;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) {
    return parsed.data;
  }
  throw new ConfigError(collectIssues(schema, input, parsed.error.issues));
}

function collectIssues(
  schema: z.ZodObject,
  input: Readonly<Record<string, string | undefined>>,
  zodIssues: readonly z.core.$ZodIssue[],
): ConfigIssue[] {
  const details = new Map<string, string[]>();
  for (const issue of zodIssues) {
    const head = issue.path[0];
    const key = head === undefined ? "(config)" : String(head);
    const list = details.get(key) ?? [];
    const nested = issue.path.length > 1 ? `${issue.path.slice(1).join(".")}: ` : "";
    list.push(`${nested}${issue.message}`);
    details.set(key, list);
  }
  const shape: Record<string, z.ZodType | undefined> = schema.shape;
  return [...details.entries()].map(([key, messages]) => {
    const field = shape[key];
    const expected = field === undefined ? undefined : describeOf(field);
    const withExpected = expected === undefined ? {} : { expected };
    if (input[key] === undefined && key in shape) {
      return { key, problem: "missing", ...withExpected };
    }
    return { key, problem: "invalid", detail: [...new Set(messages)].join("; "), ...withExpected };
  });
}

const wrapperTypes = new Set([
  "optional",
  "default",
  "prefault",
  "nullable",
  "nonoptional",
  "readonly",
  "catch",
]);

/** The `.describe()` text of a field, looking through optional/default wrappers and pipes. */
export function describeOf(schema: z.ZodType): string | undefined {
  let current: z.core.$ZodType | undefined = schema;
  for (let depth = 0; current !== undefined && depth < 16; depth += 1) {
    const description = z.globalRegistry.get(current)?.description;
    if (description !== undefined) {
      return description;
    }
    const def: z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; in?: z.core.$ZodType } = current._zod.def;
    if (wrapperTypes.has(def.type)) {
      current = def.innerType;
    } else if (def.type === "pipe") {
      current = def.in;
    } else {
      current = undefined;
    }
  }
  return undefined;
}
