// The UsedLinkStore contract (single use): the in-memory fake passes it as a unit test, the
// JetStream KV store against a real NATS server (test/kv-used-link-store.test.ts).
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { UsedLinkStore } from "../app/ports.ts";

export function describeUsedLinkStoreContract(name: string, make: () => Promise<UsedLinkStore>): void {
  describe(`UsedLinkStore contract: ${name}`, () => {
    it("claims an id once; the second claim loses", async () => {
      const store = await make();
      const id = randomUUID();
      expect(await store.isUsed(id)).toBe(false);
      expect(await store.claim(id, 600)).toBe(true);
      expect(await store.claim(id, 600)).toBe(false);
      expect(await store.isUsed(id)).toBe(true);
    });

    it("of concurrent claims of one id exactly one wins; other ids are untouched", async () => {
      const store = await make();
      const id = randomUUID();
      const other = randomUUID();
      const results = await Promise.all(Array.from({ length: 10 }, () => store.claim(id, 600)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.isUsed(other)).toBe(false);
      expect(await store.claim(other, 600)).toBe(true);
    });

    it("a released id can be claimed again", async () => {
      const store = await make();
      const id = randomUUID();
      expect(await store.claim(id, 600)).toBe(true);
      await store.release(id);
      expect(await store.isUsed(id)).toBe(false);
      expect(await store.claim(id, 600)).toBe(true);
      expect(await store.claim(id, 600)).toBe(false);
    });
  });
}
