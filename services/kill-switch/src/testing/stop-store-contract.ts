// The contract every StopStore meets (STYLE.md 17): run against the in-memory fake (unit) and the
// JetStream KV adapter (integration), so the fake cannot drift from the bucket.
import { ConflictError } from "@warden/grpc/errors";
import { describe, expect, it } from "vitest";
import { activated, lifted } from "../domain/stop-record.ts";
import type { Person } from "../domain/stop-record.ts";
import type { StopStore } from "../app/ports.ts";

const alice: Person = { id: "alice", type: "human", roles: ["on-call-engineer"] };
const at = new Date("2026-12-02T10:00:00Z");

export function stopStoreContract(name: string, make: () => Promise<StopStore>): void {
  describe(`StopStore contract: ${name}`, () => {
    it("creates a scope only when absent and updates only at the revision read", async () => {
      const store = await make();
      const scope = { kind: "agent", value: "release.bot/7" } as const;
      expect(await store.get(scope)).toBeUndefined();
      const rev = await store.put(activated(scope, 1, "runaway", alice, at), 0);
      await expect(store.put(activated(scope, 2, "again", alice, at), 0)).rejects.toBeInstanceOf(
        ConflictError,
      );
      const read = await store.get(scope);
      expect(read).toEqual({ value: activated(scope, 1, "runaway", alice, at), revision: rev });
      const lift = {
        at: at.toISOString(),
        approvals: [],
        reviewRef: "INC-1",
        rootCause: "r",
        prevention: "p",
      };
      const rev2 = await store.put(lifted(activated(scope, 1, "runaway", alice, at), 3, lift, []), rev);
      expect(rev2).toBeGreaterThan(rev);
      await expect(store.put(activated(scope, 4, "stale", alice, at), rev)).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect((await store.get(scope))?.value).toMatchObject({
        active: false,
        epoch: 3,
        needsReEnabling: true,
      });
    });

    it("lists every scope key and nothing else", async () => {
      const store = await make();
      await store.put(activated({ kind: "global" }, 1, "x", alice, at), 0);
      await store.put(activated({ kind: "environment", value: "production" }, 2, "y", alice, at), 0);
      await store.nextEpoch();
      const listed = (await store.list()).map((r) => r.value.scope);
      expect(listed).toHaveLength(2);
      expect(listed).toEqual(
        expect.arrayContaining([{ kind: "global" }, { kind: "environment", value: "production" }]),
      );
    });

    it("hands out distinct, increasing epochs to concurrent callers (retrying lost compare-and-sets)", async () => {
      const store = await make();
      expect(await store.currentEpoch()).toBe(0);
      const grab = async (): Promise<number> => {
        for (;;) {
          try {
            return await store.nextEpoch();
          } catch (err) {
            if (!(err instanceof ConflictError)) throw err;
          }
        }
      };
      const epochs = await Promise.all(Array.from({ length: 12 }, grab));
      expect(new Set(epochs).size).toBe(12);
      expect([...epochs].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(await store.currentEpoch()).toBe(12);
    });

    it("keeps the pending deactivation under compare-and-set", async () => {
      const store = await make();
      const pending = {
        epoch: 1,
        scopes: [{ kind: "global" as const }],
        reEnableAgents: [],
        reviewRef: "INC-1",
        rootCause: "r",
        prevention: "p",
        approvals: [],
      };
      expect(await store.getPending()).toBeUndefined();
      const rev = await store.putPending(pending, 0);
      await expect(store.putPending(pending, 0)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.getPending()).toEqual({ value: pending, revision: rev });
      await expect(store.deletePending(rev + 100)).rejects.toBeInstanceOf(ConflictError);
      await store.deletePending(rev);
      expect(await store.getPending()).toBeUndefined();
      await store.putPending(pending, 0);
      expect((await store.getPending())?.value).toEqual(pending);
    });

    it("keeps pending re-enables by action id, each written once, apart from the scopes", async () => {
      const store = await make();
      const reEnable = (actionId: string, agentId: string) => ({
        actionId,
        agentId,
        requestedBy: alice,
        reason: "fixed the loop",
        requestedAt: at.toISOString(),
        request: { actionId, agentId: "kill-switch", action: "agent.reenable", target: `agent/${agentId}` },
        requestDigest: "sha256:abc",
      });
      expect(await store.listReEnables()).toEqual([]);
      await store.createReEnable(reEnable("reenable-b-1", "bot-b"));
      await store.createReEnable(reEnable("reenable-a-1", "bot-a"));
      await expect(store.createReEnable(reEnable("reenable-a-1", "bot-x"))).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect((await store.listReEnables()).map((p) => p.actionId)).toEqual(["reenable-a-1", "reenable-b-1"]);
      expect(await store.getReEnable("reenable-a-1")).toEqual(reEnable("reenable-a-1", "bot-a"));
      expect(await store.list()).toEqual([]);
      await store.deleteReEnable("reenable-a-1");
      expect(await store.getReEnable("reenable-a-1")).toBeUndefined();
      expect((await store.listReEnables()).map((p) => p.actionId)).toEqual(["reenable-b-1"]);
    });
  });
}
