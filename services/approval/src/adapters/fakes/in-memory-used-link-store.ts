import type { UsedLinkStore } from "../../app/ports.ts";

/** UsedLinkStore in memory (expiry by an injected clock), held to the same contract as the KV store. */
export function createInMemoryUsedLinkStore(now: () => number = Date.now): UsedLinkStore {
  const used = new Map<string, number>();
  const live = (linkId: string) => {
    const until = used.get(linkId);
    return until !== undefined && until > now();
  };
  return {
    claim(linkId, ttlSeconds) {
      if (live(linkId)) return Promise.resolve(false);
      used.set(linkId, now() + Math.max(1, Math.ceil(ttlSeconds)) * 1000);
      return Promise.resolve(true);
    },
    isUsed: (linkId) => Promise.resolve(live(linkId)),
    release(linkId) {
      used.delete(linkId);
      return Promise.resolve();
    },
  };
}
