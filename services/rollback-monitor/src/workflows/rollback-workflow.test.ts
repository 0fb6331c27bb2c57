// consecutivePassing: the verification count of the patched path (event time, from requestedAt).
import { describe, expect, it } from "vitest";
import { consecutivePassing } from "./rollback-workflow.ts";

const at = (s: number) => new Date(Date.parse("2026-12-03T10:05:00Z") + s * 1_000).toISOString();
const requestedAt = Date.parse("2026-12-03T10:05:00Z");

describe("consecutivePassing", () => {
  it("counts passing checks at or after requestedAt, by event time, a failure resets", () => {
    expect(
      consecutivePassing(
        [
          { id: "a", passed: true, observedAt: at(0) },
          { id: "b", passed: true, observedAt: at(3) },
          { id: "c", passed: false, observedAt: at(1) }, // arrived late, observed before b
          { id: "d", passed: true, observedAt: at(2) },
        ],
        requestedAt,
      ),
    ).toBe(2);
  });

  it("ignores checks observed before requestedAt and checks whose time does not parse", () => {
    expect(
      consecutivePassing(
        [
          { id: "old", passed: true, observedAt: at(-1) },
          { id: "bad", passed: true, observedAt: "yesterday" },
          { id: "ok", passed: true, observedAt: at(1) },
        ],
        requestedAt,
      ),
    ).toBe(1);
  });
});
