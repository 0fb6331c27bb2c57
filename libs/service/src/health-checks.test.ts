import { describe, expect, it } from "vitest";
import { natsHealth, stopStateHealth } from "./health-checks.ts";

describe("health checks", () => {
  it("natsHealth is healthy while the connection is open", () => {
    let closed = false;
    const check = natsHealth({ isClosed: () => closed });
    expect(check()).toBe("connected");
    closed = true;
    expect(() => check()).toThrow("connection closed");
  });

  it("stopStateHealth names the known state and fails with the unknown state's reason", () => {
    expect(stopStateHealth({ current: () => ({ kind: "clear", epoch: 3 }) })()).toBe("clear");
    expect(() =>
      stopStateHealth({ current: () => ({ kind: "unknown", reason: "state was purged" }) })(),
    ).toThrow("state was purged");
  });
});
