import { expect, it } from "vitest";
import { replayGuardContract } from "../../testing/replay-guard-contract.ts";
import { createInMemoryReplayGuard } from "./in-memory-replay-guard.ts";

replayGuardContract("in memory", () => Promise.resolve(createInMemoryReplayGuard()));

it("forgets an id once its window has passed", async () => {
  let now = 1_000;
  const guard = createInMemoryReplayGuard(() => now);
  expect(await guard.firstUse("v0=a", 10)).toBe(true);
  now += 11;
  expect(await guard.firstUse("v0=a", 10)).toBe(true);
});
