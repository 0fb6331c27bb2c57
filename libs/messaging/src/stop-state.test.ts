import type { KvEntry } from "@nats-io/kv";
import { describe, expect, it } from "vitest";
import { appliedEpoch } from "./stop-state.ts";

let revision = 0;
/** The few KvEntry fields the watcher reads. */
function entry(key: string, value: unknown): KvEntry {
  revision += 1;
  const text = JSON.stringify(value);
  return {
    key,
    revision,
    operation: "PUT",
    json: () => JSON.parse(text) as unknown,
  } as unknown as KvEntry;
}

const PROD = "scope.environment.production";
const BOT = "scope.agent.bot";
const scopeOf = (key: string) =>
  key === PROD ? { kind: "environment", value: "production" } : { kind: "agent", value: "bot" };
const record = (key: string, active: boolean, epoch: number, batch?: string[]) =>
  entry(key, { scope: scopeOf(key), active, epoch, needsReEnabling: false, ...(batch && { batch }) });

describe("appliedEpoch: the epoch a consumer may acknowledge", () => {
  it("is 0 with nothing written, and the counter alone does not move it", () => {
    expect(appliedEpoch({ state: null, scopes: [] })).toBe(0);
  });

  it("waits for the last scope of a multi-scope change, not its first", () => {
    const both = [BOT, PROD];
    expect(appliedEpoch({ state: null, scopes: [record(PROD, true, 1, both)] })).toBe(0);
    expect(
      appliedEpoch({ state: null, scopes: [record(PROD, true, 1, both), record(BOT, true, 1, both)] }),
    ).toBe(1);
  });

  it("waits for the whole lift too, and holds the earlier epoch meanwhile", () => {
    const both = [BOT, PROD];
    const halfLifted = [record(BOT, false, 2, both), record(PROD, true, 1, both)];
    expect(appliedEpoch({ state: null, scopes: halfLifted })).toBe(1);
    expect(
      appliedEpoch({ state: null, scopes: [record(BOT, false, 2, both), record(PROD, false, 2, both)] }),
    ).toBe(2);
  });

  it("counts a scope another change had already put in the wanted state (a lost compare-and-set)", () => {
    // The change at 5 wanted both active; production was already active since epoch 3.
    const scopes = [record(BOT, true, 5, [BOT, PROD]), record(PROD, true, 3)];
    expect(appliedEpoch({ state: null, scopes })).toBe(5);
  });

  it("acknowledges nothing from the first incomplete change on (epochs landing out of order)", () => {
    // 7 is in, 6 has written one of its two scopes: the consumer enforces 7's scope, not all of 6.
    const scopes = [
      record(PROD, true, 6, [PROD, "scope.service.payments"]),
      record(BOT, true, 7),
      entry("scope.service.payments", {
        scope: { kind: "service", value: "payments" },
        active: false,
        epoch: 2,
        needsReEnabling: false,
      }),
    ];
    expect(appliedEpoch({ state: null, scopes })).toBe(2);
  });

  it("takes records without a batch (one scope per change) and the aggregate key as written", () => {
    expect(appliedEpoch({ state: null, scopes: [record(PROD, true, 4), record(BOT, false, 2)] })).toBe(4);
    expect(appliedEpoch({ state: entry("state", { epoch: 9, active: false, scopes: [] }), scopes: [] })).toBe(
      9,
    );
  });
});
