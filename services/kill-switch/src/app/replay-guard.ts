// Refuses a second use of the same signed chat request within the window its timestamp is valid
// for. In memory, per replica: with several replicas behind one URL a replay could reach another
// replica (a shared KV-backed guard is listed as follow-up work in the README).
export type ReplayGuard = {
  /** True the first time `id` is seen within `ttlMs`; false for a replay. */
  firstUse(id: string, nowMs: number, ttlMs: number): boolean;
};

export function createReplayGuard(maxEntries = 100_000): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    firstUse(id, nowMs, ttlMs) {
      for (const [key, expires] of seen) {
        if (expires > nowMs && seen.size < maxEntries) break;
        seen.delete(key);
      }
      const expires = seen.get(id);
      if (expires !== undefined && expires > nowMs) return false;
      seen.delete(id);
      seen.set(id, nowMs + ttlMs);
      return true;
    },
  };
}
