// StopStore in memory, with the KV bucket's revision semantics: one revision counter for the whole
// bucket, every write checked against the key's revision (0: must not exist).
import { ConflictError } from "@warden/grpc/errors";
import type { StopStore, Versioned } from "../../app/ports.ts";
import type { PendingDeactivation } from "../../domain/deactivation.ts";
import type { PendingReEnable } from "../../domain/re-enable.ts";
import { scopeKey } from "../../domain/scope.ts";
import type { Scope } from "../../domain/scope.ts";
import type { StopRecord } from "../../domain/stop-record.ts";

const EPOCH = "epoch";
const PENDING = "deactivation.pending";
const REENABLE = "reenable.";

export function createInMemoryStopStore(): StopStore {
  const entries = new Map<string, { value: unknown; revision: number }>();
  let revision = 0;

  const write = (key: string, value: unknown, expected: number): number => {
    const current = entries.get(key)?.revision ?? 0;
    if (current !== expected)
      throw new ConflictError(`${key}: expected revision ${expected}, found ${current}`);
    revision += 1;
    entries.set(key, { value: structuredClone(value), revision });
    return revision;
  };
  const read = <T>(key: string): Versioned<T> | undefined => {
    const entry = entries.get(key);
    return entry === undefined
      ? undefined
      : { value: structuredClone(entry.value) as T, revision: entry.revision };
  };

  return {
    list: () =>
      Promise.resolve(
        [...entries.keys()].filter((k) => k.startsWith("scope.")).flatMap((k) => read<StopRecord>(k) ?? []),
      ),
    get: (scope: Scope) => Promise.resolve(read<StopRecord>(scopeKey(scope))),
    put: (record, expected) => Promise.resolve().then(() => write(scopeKey(record.scope), record, expected)),
    currentEpoch: () => Promise.resolve(read<number>(EPOCH)?.value ?? 0),
    nextEpoch: () =>
      Promise.resolve().then(() => {
        const current = read<number>(EPOCH);
        const next = (current?.value ?? 0) + 1;
        write(EPOCH, next, current?.revision ?? 0);
        return next;
      }),
    getPending: () => Promise.resolve(read<PendingDeactivation>(PENDING)),
    putPending: (pending, expected) => Promise.resolve().then(() => write(PENDING, pending, expected)),
    deletePending: (expected) =>
      Promise.resolve().then(() => {
        const current = entries.get(PENDING)?.revision ?? 0;
        if (current !== expected)
          throw new ConflictError(`${PENDING}: expected revision ${expected}, found ${current}`);
        entries.delete(PENDING);
      }),
    listReEnables: () =>
      Promise.resolve(
        [...entries.keys()]
          .filter((k) => k.startsWith(REENABLE))
          .sort()
          .flatMap((k) => read<PendingReEnable>(k)?.value ?? []),
      ),
    getReEnable: (actionId) => Promise.resolve(read<PendingReEnable>(REENABLE + actionId)?.value),
    createReEnable: (pending) =>
      Promise.resolve().then(() => {
        write(REENABLE + pending.actionId, pending, 0);
      }),
    deleteReEnable: (actionId) =>
      Promise.resolve().then(() => {
        entries.delete(REENABLE + actionId);
      }),
  };
}
