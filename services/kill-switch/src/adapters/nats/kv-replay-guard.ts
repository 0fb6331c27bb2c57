// ReplayGuard over the JetStream KV bucket `topology.kv.killswitchReplays`, shared by every
// kill-switch replica: a used request id is written with `create` (expected last sequence 0, so the
// server decides which of two concurrent claims wins) and a per-message TTL (`Nats-TTL`), so it
// lives as long as the request's timestamp is accepted and then disappears.
import { createHash } from "node:crypto";
import type { KV } from "@nats-io/kv";
import type { ReplayGuard } from "../../app/ports.ts";
import { isWrongRevision } from "./kv-stop-store.ts";

export function createKvReplayGuard(kv: KV): ReplayGuard {
  return {
    async firstUse(id, ttlMs) {
      // Any id (a signature header is caller-controlled) becomes a valid key of fixed length.
      const key = `used.${createHash("sha256").update(id).digest("hex")}`;
      try {
        await kv.create(key, new Date().toISOString(), `${Math.max(1, Math.ceil(ttlMs / 1000))}s`);
        return true;
      } catch (err) {
        if (isWrongRevision(err)) return false;
        throw err;
      }
    },
  };
}
