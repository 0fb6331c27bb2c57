// What an emergency stop covers, and where each scope's state lives in the KV bucket. One key per
// scope (`scope.global`, `scope.environment.<name>`, `scope.agent.<id>`, `scope.service.<name>`), so
// stops of different scopes never contend for one key.
import { InvalidArgumentError } from "@warden/grpc/errors";

export const SCOPE_KINDS = ["global", "environment", "agent", "service"] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

export type Scope =
  | { readonly kind: "global" }
  | { readonly kind: "environment" | "agent" | "service"; readonly value: string };

const VALUE = /^[A-Za-z0-9._:@/-]{1,128}$/;
const KEY_SAFE = /[A-Za-z0-9_-]/;

/** A scope from its parts; throws InvalidArgumentError naming `field`. */
export function scopeOf(kind: string, value: string | undefined, field = "scope"): Scope {
  if (kind === "global") {
    if (value !== undefined && value !== "")
      throw new InvalidArgumentError(`${field}.value`, "must be empty for global");
    return { kind: "global" };
  }
  if (kind !== "environment" && kind !== "agent" && kind !== "service") {
    throw new InvalidArgumentError(`${field}.kind`, `must be one of ${SCOPE_KINDS.join(", ")}`);
  }
  if (value === undefined || value === "")
    throw new InvalidArgumentError(`${field}.value`, `required for ${kind}`);
  if (!VALUE.test(value)) {
    throw new InvalidArgumentError(`${field}.value`, "1-128 characters of letters, digits and ._:@/-");
  }
  return { kind, value: kind === "environment" ? value.toLowerCase() : value };
}

/** `global`, `environment:production`, `agent:release-bot`, `service:payments` (CLI, HTTP, chat). */
export function parseScope(text: string, field = "scope"): Scope {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(":");
  const kind = colon === -1 ? trimmed : trimmed.slice(0, colon);
  const value = colon === -1 ? undefined : trimmed.slice(colon + 1);
  return scopeOf(kind.toLowerCase(), value, field);
}

export function describeScope(scope: Scope): string {
  return scope.kind === "global" ? "global" : `${scope.kind}:${scope.value}`;
}

export function sameScope(a: Scope, b: Scope): boolean {
  return describeScope(a) === describeScope(b);
}

/** Key characters outside [A-Za-z0-9_-] become `=XX` (hex of each UTF-8 byte): reversible, dot-free. */
function encodeToken(value: string): string {
  let out = "";
  for (const ch of value) {
    if (KEY_SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += `=${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

function decodeToken(token: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const ch = token.charAt(i);
    if (ch === "=") {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(ch.charCodeAt(0));
  }
  return Buffer.from(bytes).toString("utf8");
}

export const SCOPE_KEY_PREFIX = "scope.";

/** The KV key holding the scope's state. */
export function scopeKey(scope: Scope): string {
  return scope.kind === "global" ? "scope.global" : `scope.${scope.kind}.${encodeToken(scope.value)}`;
}

/** The scope a KV key names, or undefined when it is not a scope key. */
export function scopeFromKey(key: string): Scope | undefined {
  if (key === "scope.global") return { kind: "global" };
  const match = /^scope\.(environment|agent|service)\.([A-Za-z0-9_=-]+)$/.exec(key);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  const kind = match[1] as "environment" | "agent" | "service";
  return { kind, value: decodeToken(match[2]) };
}
