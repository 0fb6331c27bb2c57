import { describe, expect, it } from "vitest";
import { stopFor, stopViewKey } from "./stop-coverage.ts";

const approval = { agentId: "deploy-bot", environment: "production" };

describe("stopFor", () => {
  it("clear lifts, with the epoch", () => {
    expect(stopFor({ kind: "clear", epoch: 4 }, approval, 0)).toEqual({ state: "clear", epoch: 4 });
  });
  it.each([
    [{ kind: "global" as const }],
    [{ kind: "environment" as const, value: "ENVIRONMENT_PRODUCTION" }],
    [{ kind: "environment" as const, value: "production" }],
    [{ kind: "agent" as const, value: "deploy-bot" }],
  ])("%j covers it", (scope) => {
    expect(stopFor({ kind: "active", epoch: 7, scopes: [scope] }, approval, 0)).toMatchObject({
      state: "stopped",
      epoch: 7,
    });
  });
  it.each([
    [{ kind: "environment" as const, value: "staging" }],
    [{ kind: "agent" as const, value: "other-bot" }],
    [{ kind: "service" as const, value: "policy" }],
  ])("%j does not cover it (control)", (scope) => {
    expect(stopFor({ kind: "active", epoch: 7, scopes: [scope] }, approval, 0)).toEqual({
      state: "clear",
      epoch: 7,
    });
  });
  it("unknown stops everything, at the last epoch known, saying why", () => {
    expect(stopFor({ kind: "unknown", reason: "lease ran out" }, approval, 3)).toEqual({
      state: "stopped",
      epoch: 3,
      reason: "emergency-stop state unknown: lease ran out",
    });
  });
  it("the key changes with the view, not with the reason of an unknown one", () => {
    expect(stopViewKey({ kind: "unknown", reason: "a" })).toBe(stopViewKey({ kind: "unknown", reason: "b" }));
    expect(stopViewKey({ kind: "clear", epoch: 1 })).not.toBe(stopViewKey({ kind: "clear", epoch: 2 }));
  });
});
