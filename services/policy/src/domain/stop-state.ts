import { z } from "zod";
import type { ActionRequest } from "./action-request.ts";

export type StopScopeKind = "global" | "environment" | "agent" | "service";

export interface StopScope {
  readonly kind: StopScopeKind;
  /** Environment name, agent id or service name; absent for `global`. */
  readonly value?: string;
}

/**
 * Emergency-stop state as the kill-switch service publishes it. `clear` when never set or
 * deactivated; `unknown` when it cannot be read or confirmed (fail safe: treated as a global stop).
 * `clear` carries the epoch too (0 while the bucket never held a stop): every decision records the
 * epoch it saw, and an approval is bound to it — after a stop and a resume it is no longer 0.
 */
export type StopState =
  | { readonly kind: "clear"; readonly epoch: number }
  | { readonly kind: "active"; readonly scopes: readonly StopScope[]; readonly epoch: number }
  | { readonly kind: "unknown"; readonly reason: string };

export const STOP_CLEAR: StopState = Object.freeze({ kind: "clear", epoch: 0 });

/**
 * The scope of an active stop that covers the request, if any. `service` scopes match the
 * request's `service`.
 */
export function coveringScope(
  scopes: readonly StopScope[],
  request: ActionRequest,
  agentId: string,
): StopScope | undefined {
  for (const scope of scopes) {
    switch (scope.kind) {
      case "global":
        return scope;
      case "environment":
        if (scope.value !== undefined && scope.value === request.environment) return scope;
        break;
      case "agent":
        if (scope.value !== undefined && scope.value === agentId) return scope;
        break;
      case "service":
        if (scope.value !== undefined && scope.value === request.service) return scope;
        break;
    }
  }
  return undefined;
}

export function describeScope(scope: StopScope): string {
  return scope.kind === "global" ? "global" : `${scope.kind} ${scope.value ?? "?"}`;
}

/** zod schema for {@link StopState} (policy test files, transports). */
export const stopStateSchema = z.discriminatedUnion("kind", [
  // Policy test files may leave the epoch out (0: no stop ever).
  z.strictObject({ kind: z.literal("clear"), epoch: z.number().int().min(0).default(0) }),
  z.strictObject({
    kind: z.literal("active"),
    scopes: z
      .array(
        z.strictObject({
          kind: z.enum(["global", "environment", "agent", "service"]),
          value: z.string().min(1).optional(),
        }),
      )
      .min(1),
    epoch: z.number().int().min(0),
  }),
  z.strictObject({ kind: z.literal("unknown"), reason: z.string().min(1) }),
]) satisfies z.ZodType<StopState>;
