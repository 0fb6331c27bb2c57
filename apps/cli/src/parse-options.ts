import { existsSync, readFileSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import type { StopScope, StopState } from "@warden/policy";

// Types only from @warden/policy and @warden/audit here: the commands that need those packages load
// them when they run, so `warden stop status` does not pay for the policy engine or the Mongo driver.

/** No stop (the policy's STOP_CLEAR). */
export const STOP_CLEAR: StopState = Object.freeze({ kind: "clear", epoch: 0 });

const SCOPE_KINDS = ["environment", "agent", "service"] as const;

/**
 * `--stop-state`: `clear` (default), `unknown` (cannot be confirmed: denies like a global stop), or
 * a comma-separated list of active scopes `global`, `environment:NAME`, `agent:ID`, `service:NAME`.
 * A commander argument parser: it validates one option value, it does not parse argv.
 */
export function parseStopState(value: string): StopState {
  const text = value.trim();
  if (text === "clear") return STOP_CLEAR;
  if (text === "unknown") return { kind: "unknown", reason: "set by --stop-state unknown" };
  const scopes = text.split(",").map((part): StopScope => {
    const scope = part.trim();
    if (scope === "global") return { kind: "global" };
    const colon = scope.indexOf(":");
    const kind = SCOPE_KINDS.find((k) => k === scope.slice(0, colon));
    const name = scope.slice(colon + 1);
    if (colon < 0 || kind === undefined || name === "") {
      throw new InvalidArgumentError(
        `"${scope}" is not a stop state: use clear, unknown, or scopes global, environment:NAME, agent:ID, service:NAME (comma-separated)`,
      );
    }
    return { kind, value: name };
  });
  return { kind: "active", scopes, epoch: 0 };
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** `--time`: an ISO 8601 date-time with a zone (`2026-03-10T20:00:00Z`), as epoch ms. */
export function parseIsoTime(value: string): number {
  const ms = ISO_WITH_OFFSET.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      `"${value}" is not an ISO 8601 date-time with a zone, e.g. 2026-03-10T20:00:00Z`,
    );
  }
  return ms;
}

/** `--from` / `--to`: a seq, a whole number ≥ 1. */
export function parseSeq(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number ≥ 1");
  return n;
}

/**
 * `--public-key`, repeatable: a file holding the key, or the key itself (SPKI PEM, or base64 of
 * the 32 raw Ed25519 bytes). Collects the texts of every occurrence, for rotated keys; `audit
 * verify` parses them (parsePublicKey of @warden/audit) when it runs.
 */
export function readPublicKeyOption(value: string, previous: readonly string[] = []): string[] {
  try {
    return [...previous, existsSync(value) ? readFileSync(value, "utf8") : value];
  } catch (err) {
    throw new InvalidArgumentError(
      `cannot read ${value}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
