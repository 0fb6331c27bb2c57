import { describe, expect, it } from "vitest";
import { canonicalDigest, coveringScope, stopRefusal, toWireRequest } from "./action.ts";
import { InvalidActionError, StopStateUnknownError, StoppedError } from "./errors.ts";

describe("toWireRequest", () => {
  it("writes the short enum forms long and fills in the agent and action ids", () => {
    const wire = toWireRequest("release-pipeline", "a-1", {
      action: "change.deploy",
      environment: "production",
      changeType: "code",
      versionChange: "VERSION_CHANGE_MINOR",
    });
    expect(wire).toMatchObject({
      actionId: "a-1",
      agentId: "release-pipeline",
      action: "change.deploy",
      environment: "ENVIRONMENT_PRODUCTION",
      changeType: "CHANGE_TYPE_CODE",
      versionChange: "VERSION_CHANGE_MINOR",
    });
  });

  it("names the bad field", () => {
    const bad = () => toWireRequest("a", "a-1", { action: "x", environment: "moon" as "production" });
    expect(bad).toThrow(InvalidActionError);
    expect(bad).toThrow(/action\.environment/);
  });
});

describe("canonicalDigest", () => {
  it("is the same for the same JSON whatever the key order (RFC 8785)", () => {
    expect(canonicalDigest({ b: 1, a: [1, "x"] })).toBe(canonicalDigest({ a: [1, "x"], b: 1 }));
    expect(canonicalDigest({ a: 1 })).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(canonicalDigest({ a: 1 })).not.toBe(canonicalDigest({ a: 2 }));
  });

  it("has no digest for no result", () => {
    expect(canonicalDigest(undefined)).toBeUndefined();
  });
});

describe("stop scopes", () => {
  const place = { agentId: "bot", environment: "staging", service: "payments" };

  it("covers the agent by global, its id, its environment or service, or the request's", () => {
    expect(coveringScope([{ kind: "global" }], place)).toEqual({ kind: "global" });
    expect(coveringScope([{ kind: "agent", value: "bot" }], place)).toBeDefined();
    expect(coveringScope([{ kind: "agent", value: "other" }], place)).toBeUndefined();
    expect(coveringScope([{ kind: "environment", value: "staging" }], place)).toBeDefined();
    expect(coveringScope([{ kind: "service", value: "payments" }], place)).toBeDefined();
    const prod = [{ kind: "environment" as const, value: "production" }];
    expect(coveringScope(prod, place)).toBeUndefined();
    expect(coveringScope(prod, place, { environment: "ENVIRONMENT_PRODUCTION" })).toBeDefined();
    expect(coveringScope([{ kind: "service", value: "ledger" }], place, { service: "ledger" })).toBeDefined();
  });

  it("refuses on unknown state and on a covering stop, not on a clear one", () => {
    expect(stopRefusal({ kind: "unknown", reason: "lease" }, place, undefined, "a")).toBeInstanceOf(
      StopStateUnknownError,
    );
    const stopped = stopRefusal(
      { kind: "active", epoch: 4, scopes: [{ kind: "global" }] },
      place,
      undefined,
      "a",
    );
    expect(stopped).toBeInstanceOf(StoppedError);
    expect(stopped?.message).toContain("epoch 4");
    expect(stopRefusal({ kind: "clear", epoch: 5 }, place, undefined, "a")).toBeUndefined();
    expect(
      stopRefusal(
        { kind: "active", epoch: 4, scopes: [{ kind: "agent", value: "x" }] },
        place,
        undefined,
        "a",
      ),
    ).toBeUndefined();
  });
});
