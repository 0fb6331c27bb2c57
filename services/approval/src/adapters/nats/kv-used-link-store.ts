// UsedLinkStore over the JetStream KV bucket `topology.kv.approvalLinks`: one key per used link id,
// written with `create` (expected last sequence 0: a compare-and-set the server decides, so of two
// concurrent claims exactly one succeeds) and a per-message TTL (`Nats-TTL`), so a used id lives
// as long as its link could be replayed and then disappears.
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { UsedLinkStore } from "../../app/ports.ts";

const KEY = /^[A-Za-z0-9_=-]{1,128}$/;

function keyOf(linkId: string): string {
  if (!KEY.test(linkId)) throw new Error(`link id (${linkId.length} chars) is not a valid KV key`);
  return `link.${linkId}`;
}

function isConflict(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

export function createKvUsedLinkStore(kv: KV): UsedLinkStore {
  return {
    async claim(linkId, ttlSeconds) {
      try {
        await kv.create(keyOf(linkId), new Date().toISOString(), `${Math.max(1, Math.ceil(ttlSeconds))}s`);
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    },
    async isUsed(linkId) {
      const entry = await kv.get(keyOf(linkId));
      return entry !== null && entry.operation === "PUT";
    },
    async release(linkId) {
      await kv.delete(keyOf(linkId));
    },
  };
}
