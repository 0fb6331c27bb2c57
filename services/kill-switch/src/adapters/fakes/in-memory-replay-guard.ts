// ReplayGuard in memory (unit tests). It is per process: two replicas with one each would accept
// each other's replays, which is why the service runs the KV-backed guard (adapters/nats).
import type { ReplayGuard } from "../../app/ports.ts";

export function createInMemoryReplayGuard(now: () => number = Date.now, maxEntries = 100_000): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    firstUse(id, ttlMs) {
      const nowMs = now();
      for (const [key, expires] of seen) {
        if (expires > nowMs && seen.size < maxEntries) break;
        seen.delete(key);
      }
      const expires = seen.get(id);
      if (expires !== undefined && expires > nowMs) return Promise.resolve(false);
      seen.delete(id);
      seen.set(id, nowMs + ttlMs);
      return Promise.resolve(true);
    },
  };
}
