// Which emergency stop covers which approval. A stop scope covers an approval when it is global, or
// names its environment or its agent (a service scope names no approval). An unknown stop state
// covers everything (fail closed, DESIGN.md §6).

export type StopScope = { kind: "global" | "environment" | "agent" | "service"; value?: string | undefined };

export type StopView =
  | { kind: "clear"; epoch: number }
  | { kind: "active"; epoch: number; scopes: StopScope[] }
  | { kind: "unknown"; reason: string };

export interface Covered {
  agentId: string;
  environment: string;
}

/** "production" and "ENVIRONMENT_PRODUCTION" name the same environment. */
const envName = (value: string | undefined): string =>
  (value ?? "").replace(/^ENVIRONMENT_/i, "").toLowerCase();

export function scopeCovers(scope: StopScope, approval: Covered): boolean {
  switch (scope.kind) {
    case "global":
      return true;
    case "environment":
      return envName(scope.value) === envName(approval.environment);
    case "agent":
      return scope.value === approval.agentId;
    case "service":
      return false;
  }
}

export interface StopFor {
  state: "stopped" | "clear";
  epoch: number;
  reason?: string | undefined;
}

/** The stop signal an approval gets for a view; `lastEpoch` stands in while the state is unknown. */
export function stopFor(view: StopView, approval: Covered, lastEpoch: number): StopFor {
  switch (view.kind) {
    case "unknown":
      return { state: "stopped", epoch: lastEpoch, reason: `emergency-stop state unknown: ${view.reason}` };
    case "clear":
      return { state: "clear", epoch: view.epoch };
    case "active": {
      const scope = view.scopes.find((s) => scopeCovers(s, approval));
      return scope === undefined
        ? { state: "clear", epoch: view.epoch }
        : {
            state: "stopped",
            epoch: view.epoch,
            reason: `emergency stop (${scope.kind}${scope.value === undefined ? "" : `:${scope.value}`})`,
          };
    }
  }
}

/** A stable key of a view, so a forwarder sends each change once. */
export function stopViewKey(view: StopView): string {
  return JSON.stringify(view.kind === "unknown" ? { kind: "unknown" } : view);
}
