// StopStore over the kill-switch JetStream KV bucket. Keys: `scope.<kind>[.<value>]` (one record
// per scope, JSON below), `epoch` (the epoch counter, a JSON number) and `deactivation.pending`.
// Every write is a compare-and-set on the key's revision (create / update with the last revision).
// A scope key holding garbage reads as an active stop with an "unreadable" reason: fail-safe, and
// a two-person deactivation can overwrite it.
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import { ConflictError } from "@warden/grpc/errors";
import { z } from "zod";
import type { StopStore, Versioned } from "../../app/ports.ts";
import type { PendingDeactivation } from "../../domain/deactivation.ts";
import type { PendingReEnable } from "../../domain/re-enable.ts";
import { DEACTIVATION_ROLES } from "../../domain/deactivation.ts";
import { scopeFromKey, scopeKey } from "../../domain/scope.ts";
import type { Scope } from "../../domain/scope.ts";
import type { StopRecord } from "../../domain/stop-record.ts";

const EPOCH = "epoch";
const PENDING = "deactivation.pending";
/** `reenable.<actionId>`: a re-enable asked for, until completed or refused for good. */
const REENABLE = "reenable.";
const ACTION_ID_KEY = /^[A-Za-z0-9_-]{1,128}$/;

function reEnableKey(actionId: string): string {
  if (!ACTION_ID_KEY.test(actionId)) throw new Error(`action id ${actionId} is not a valid KV key token`);
  return REENABLE + actionId;
}

const ScopeJson = z.union([
  z.strictObject({ kind: z.literal("global") }),
  z.strictObject({ kind: z.enum(["environment", "agent", "service"]), value: z.string().min(1) }),
]);
const PersonJson = z.strictObject({
  id: z.string().min(1),
  type: z.enum(["human", "ai_agent", "service"]),
  roles: z.array(z.string()),
  name: z.string().optional(),
});
const ApprovalJson = z.strictObject({ approver: PersonJson, at: z.string() });
/** The record under a scope key; consumers (libs/messaging's watcher) read scope, active, epoch, needsReEnabling. */
export const StopRecordJson = z.strictObject({
  scope: ScopeJson,
  active: z.boolean(),
  epoch: z.number().int().nonnegative(),
  reason: z.string(),
  activatedBy: PersonJson,
  activatedAt: z.string(),
  lifted: z
    .strictObject({
      at: z.string(),
      approvals: z.array(ApprovalJson),
      reviewRef: z.string(),
      rootCause: z.string(),
      prevention: z.string(),
    })
    .optional(),
  needsReEnabling: z.boolean(),
  batch: z.array(z.string().min(1)).optional(),
  reEnabled: z.strictObject({ actionId: z.string(), at: z.string(), requestedBy: PersonJson }).optional(),
}) satisfies z.ZodType<StopRecord>;
const PendingJson = z.strictObject({
  epoch: z.number().int().nonnegative(),
  scopes: z.array(ScopeJson),
  reEnableAgents: z.array(z.string()),
  reviewRef: z.string(),
  rootCause: z.string(),
  prevention: z.string(),
  approvals: z.array(ApprovalJson.extend({ role: z.enum(DEACTIVATION_ROLES) })),
  liftEpoch: z.number().int().positive().optional(),
}) satisfies z.ZodType<PendingDeactivation>;
const ReEnableJson = z.strictObject({
  actionId: z.string().min(1),
  agentId: z.string().min(1),
  requestedBy: PersonJson,
  reason: z.string(),
  requestedAt: z.string(),
  request: z.record(z.string(), z.unknown()),
  requestDigest: z.string().min(1),
}) satisfies z.ZodType<PendingReEnable>;

const SYSTEM = { id: "kill-switch", type: "service", roles: [] } as const;

/** A compare-and-set lost to another writer (the key is not at the expected revision). */
export function isWrongRevision(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function live(entry: KvEntry | null): KvEntry | undefined {
  return entry === null || entry.operation !== "PUT" ? undefined : entry;
}

function recordOf(scope: Scope, entry: KvEntry): StopRecord {
  let json: unknown;
  try {
    json = entry.json();
  } catch {
    json = undefined;
  }
  const parsed = StopRecordJson.safeParse(json);
  if (parsed.success && scopeKey(parsed.data.scope) === entry.key) return parsed.data;
  return {
    scope,
    active: true,
    epoch: 0,
    reason: `unreadable state under ${entry.key}; treated as stopped`,
    activatedBy: SYSTEM,
    activatedAt: entry.created.toISOString(),
    needsReEnabling: false,
  };
}

export function createKvStopStore(kv: KV): StopStore {
  const write = async (key: string, value: unknown, expected: number): Promise<number> => {
    const data = JSON.stringify(value);
    try {
      if (expected === 0) {
        // create() refuses a live key; a deleted or purged one may be written again.
        return await kv.create(key, data);
      }
      return await kv.update(key, data, expected);
    } catch (err) {
      if (isWrongRevision(err) || (err instanceof Error && /wrong last sequence/i.test(err.message))) {
        throw new ConflictError(`${key} changed since revision ${expected}`, { cause: err });
      }
      throw err;
    }
  };
  // The counter as this store last read or wrote it. nextEpoch tries the compare-and-set at that
  // revision without reading first (one KV round trip fewer on the activation path); another
  // writer having moved it makes the write fail (ConflictError: the caller retries, and the retry
  // reads). The compare-and-set, not the cache, keeps epochs unique and increasing.
  let counter: { value: number; revision: number } | undefined;
  const readCounter = async (): Promise<{ value: number; revision: number }> => {
    const entry = live(await kv.get(EPOCH));
    const value = entry === undefined ? 0 : z.number().int().nonnegative().parse(entry.json());
    return { value, revision: entry?.revision ?? 0 };
  };
  const readScope = async (scope: Scope): Promise<Versioned<StopRecord> | undefined> => {
    const entry = live(await kv.get(scopeKey(scope)));
    return entry === undefined ? undefined : { value: recordOf(scope, entry), revision: entry.revision };
  };

  return {
    async list() {
      const keys: string[] = [];
      for await (const key of await kv.keys("scope.>")) keys.push(key);
      const reads = await Promise.all(
        keys.sort().map(async (key) => {
          const scope = scopeFromKey(key);
          return scope === undefined ? undefined : readScope(scope);
        }),
      );
      return reads.filter((r): r is Versioned<StopRecord> => r !== undefined);
    },
    get: readScope,
    put: (record, expected) => write(scopeKey(record.scope), StopRecordJson.parse(record), expected),
    async currentEpoch() {
      counter = await readCounter();
      return counter.value;
    },
    async nextEpoch() {
      const base = counter ?? (await readCounter());
      counter = undefined;
      const next = base.value + 1;
      const revision = await write(EPOCH, next, base.revision);
      counter = { value: next, revision };
      return next;
    },
    async getPending() {
      const entry = live(await kv.get(PENDING));
      if (entry === undefined) return undefined;
      const parsed = PendingJson.safeParse(entry.json());
      // An unreadable pending approval is dropped: deactivation then starts over with two approvals.
      return parsed.success ? { value: parsed.data, revision: entry.revision } : undefined;
    },
    putPending: (pending, expected) => write(PENDING, PendingJson.parse(pending), expected),
    async deletePending(expected) {
      try {
        await kv.delete(PENDING, { previousSeq: expected });
      } catch (err) {
        if (isWrongRevision(err) || (err instanceof Error && /wrong last sequence/i.test(err.message))) {
          throw new ConflictError(`${PENDING} changed since revision ${expected}`, { cause: err });
        }
        throw err;
      }
    },
    async listReEnables() {
      const keys: string[] = [];
      for await (const key of await kv.keys(`${REENABLE}>`)) keys.push(key);
      const reads = await Promise.all(keys.sort().map((key) => kv.get(key)));
      // An unreadable entry is skipped: it re-enables nobody (fail-safe: the agent stays disabled).
      return reads.flatMap((entry) => {
        const parsed = ReEnableJson.safeParse(live(entry)?.json());
        return parsed.success ? [parsed.data] : [];
      });
    },
    async getReEnable(actionId) {
      const entry = live(await kv.get(reEnableKey(actionId)));
      const parsed = ReEnableJson.safeParse(entry?.json());
      return parsed.success ? parsed.data : undefined;
    },
    async createReEnable(pending) {
      await write(reEnableKey(pending.actionId), ReEnableJson.parse(pending), 0);
    },
    async deleteReEnable(actionId) {
      await kv.delete(reEnableKey(actionId));
    },
  };
}
