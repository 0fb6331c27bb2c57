// Argument parsers of the service commands (commander: each validates one option value and says
// what a good one looks like). Values become the wire's proto enums here, nowhere else.
import { InvalidArgumentError } from "commander";
import { commonV1, killswitchV1 } from "@warden/contracts";

const ENVIRONMENTS = ["development", "staging", "production"] as const;
const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;

/** `production` (or `ENVIRONMENT_PRODUCTION`) → `ENVIRONMENT_PRODUCTION`. */
export function parseEnvironment(value: string): commonV1.Environment {
  const name = value
    .trim()
    .toLowerCase()
    .replace(/^environment_/, "");
  if (!(ENVIRONMENTS as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(`"${value}" is not an environment: use ${ENVIRONMENTS.join(", ")}`);
  }
  return commonV1.environmentFromJSON(`ENVIRONMENT_${name.toUpperCase()}`);
}

/** `high` → `RISK_LEVEL_HIGH`. */
export function parseRiskLevel(value: string): commonV1.RiskLevel {
  const name = value
    .trim()
    .toLowerCase()
    .replace(/^risk_level_/, "");
  if (!(RISK_LEVELS as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(`"${value}" is not a risk level: use ${RISK_LEVELS.join(", ")}`);
  }
  return commonV1.riskLevelFromJSON(`RISK_LEVEL_${name.toUpperCase()}`);
}

const SCOPE_HELP =
  "use global, environment:NAME (development, staging, production), agent:ID or service:NAME";

/** One `--scope`: `global`, `environment:production`, `agent:ID`, `service:NAME`; repeatable. */
export function parseScope(
  value: string,
  previous: readonly killswitchV1.Scope[] = [],
): killswitchV1.Scope[] {
  const text = value.trim();
  if (text === "global") return [...previous, { kind: killswitchV1.ScopeKind.SCOPE_KIND_GLOBAL, value: "" }];
  const colon = text.indexOf(":");
  const kind = colon < 0 ? text : text.slice(0, colon);
  const name = colon < 0 ? "" : text.slice(colon + 1).trim();
  if (name === "") throw new InvalidArgumentError(`"${value}" is not a scope: ${SCOPE_HELP}`);
  switch (kind) {
    case "environment":
      return [
        ...previous,
        { kind: killswitchV1.ScopeKind.SCOPE_KIND_ENVIRONMENT, value: parseEnvironment(name) },
      ];
    case "agent":
      return [...previous, { kind: killswitchV1.ScopeKind.SCOPE_KIND_AGENT, value: name }];
    case "service":
      return [...previous, { kind: killswitchV1.ScopeKind.SCOPE_KIND_SERVICE, value: name }];
    default:
      throw new InvalidArgumentError(`"${value}" is not a scope: ${SCOPE_HELP}`);
  }
}

/** A scope as the user writes it: `global`, `environment:production`, `agent:ID`. */
export function scopeLabel(scope: killswitchV1.Scope | undefined): string {
  if (scope === undefined) return "—";
  switch (scope.kind) {
    case killswitchV1.ScopeKind.SCOPE_KIND_GLOBAL:
      return "global";
    case killswitchV1.ScopeKind.SCOPE_KIND_ENVIRONMENT:
      return `environment:${scope.value.replace(/^ENVIRONMENT_/, "").toLowerCase()}`;
    case killswitchV1.ScopeKind.SCOPE_KIND_AGENT:
      return `agent:${scope.value}`;
    case killswitchV1.ScopeKind.SCOPE_KIND_SERVICE:
      return `service:${scope.value}`;
    default:
      return `${scope.kind}:${scope.value}`;
  }
}

/** A repeatable string option (`--type a --type b`); commas also separate. */
export function collectList(value: string, previous: readonly string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== ""),
  ];
}

/** A whole number ≥ 0 (`--epoch`, `--after-seq`). */
export function parseWhole(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError("must be a whole number ≥ 0");
  }
  return n;
}

/** A whole number ≥ 1 (`--limit`, `--timeout`). */
export function parsePositive(value: string): number {
  const n = parseWhole(value);
  if (n < 1) throw new InvalidArgumentError("must be a whole number ≥ 1");
  return n;
}

/** `--page-size`, 1 to `max`. */
export const parsePageSize =
  (max: number) =>
  (value: string): number => {
    const n = parsePositive(value);
    if (n > max) throw new InvalidArgumentError(`must be between 1 and ${max}`);
    return n;
  };

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** `--since` / `--until`: a date (`2026-03-10`, UTC midnight) or an ISO 8601 date-time with a zone. */
export function parseDate(value: string): Date {
  const ms = ISO_WITH_ZONE.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      `"${value}" is not a date or an ISO 8601 date-time with a zone, e.g. 2026-03-10 or 2026-03-10T20:00:00Z`,
    );
  }
  return new Date(ms);
}
