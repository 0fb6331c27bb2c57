import { describe, expect, test } from "vitest";
import { parseIsoTime, parseStopState } from "./parse-options.ts";

describe("parseStopState", () => {
  test("clear, unknown, scopes", () => {
    expect(parseStopState("clear")).toEqual({ kind: "clear", epoch: 0 });
    expect(parseStopState("unknown").kind).toBe("unknown");
    expect(parseStopState("global,environment:production, agent:financial-advisor")).toEqual({
      kind: "active",
      scopes: [
        { kind: "global" },
        { kind: "environment", value: "production" },
        { kind: "agent", value: "financial-advisor" },
      ],
      epoch: 0,
    });
  });

  test.each(["", "stopped", "environment:", "region:eu", "global,,agent:x"])("rejects %j", (value) => {
    expect(() => parseStopState(value)).toThrow(/is not a stop state/);
  });
});

describe("parseIsoTime", () => {
  test("ISO date-times with a zone", () => {
    expect(parseIsoTime("2026-03-10T20:00:00Z")).toBe(Date.UTC(2026, 2, 10, 20));
    expect(parseIsoTime("2026-03-10T21:00:00.5+01:00")).toBe(Date.UTC(2026, 2, 10, 20, 0, 0, 500));
  });

  test.each(["yesterday", "2026-03-10", "2026-03-10T20:00:00", "2026-13-40T99:00:00Z"])(
    "rejects %j",
    (value) => {
      expect(() => parseIsoTime(value)).toThrow(/not an ISO 8601 date-time/);
    },
  );
});
