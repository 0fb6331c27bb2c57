// The contract every ReplayGuard meets: run against the in-memory fake (unit) and the JetStream KV
// adapter (integration).
import { describe, expect, it } from "vitest";
import type { ReplayGuard } from "../app/ports.ts";

export function replayGuardContract(name: string, make: () => Promise<ReplayGuard>): void {
  describe(`ReplayGuard contract: ${name}`, () => {
    it("accepts an id once and refuses it after; other ids are independent", async () => {
      const guard = await make();
      expect(await guard.firstUse("v0=aaaa", 60_000)).toBe(true);
      expect(await guard.firstUse("v0=aaaa", 60_000)).toBe(false);
      expect(await guard.firstUse("v0=bbbb", 60_000)).toBe(true);
    });

    it("of two concurrent claims of one id exactly one wins", async () => {
      const guard = await make();
      const results = await Promise.all(Array.from({ length: 8 }, () => guard.firstUse("v0=race", 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("takes any caller-supplied text as an id (it is not a key as given)", async () => {
      const guard = await make();
      const odd = "v0=../../$KV.*>\n" + "x".repeat(500);
      expect(await guard.firstUse(odd, 60_000)).toBe(true);
      expect(await guard.firstUse(odd, 60_000)).toBe(false);
    });
  });
}
