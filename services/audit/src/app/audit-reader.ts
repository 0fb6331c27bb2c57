// Use cases that read the trail: Query, Export, Verify, Tail. Each is scoped by the reader's role
// (access-scope.ts) and recorded through the AccessLog *before* anything is returned: if the read
// cannot be recorded it is refused. Recording a read is a plain domain event that the consumer
// stores like any other; storing it reads nothing, so it can never cause another read event.
import { UnavailableError } from "@warden/grpc/errors";
import type { AuditRecord } from "../domain/audit-record.ts";
import type { CheckpointPublicKeys } from "../domain/checkpoint.ts";
import { accessScopeFor, scopedFilter, type AccessRoles, type Reader } from "./access-scope.ts";
import { matchesFilter } from "./matches-filter.ts";
import type {
  AccessLog,
  AuditAccess,
  AuditQueryFilter,
  AuditStore,
  ExternalCheckpoints,
  Page,
  RecordFeed,
} from "./ports.ts";
import { verifyStoredChain, type VerifyStoredChainResult } from "./verify-stored-chain.ts";

export type AuditReaderDeps = {
  store: AuditStore;
  accessLog: AccessLog;
  feed: RecordFeed;
  publicKeys: CheckpointPublicKeys;
  roles?: AccessRoles | undefined;
  /**
   * Where Verify takes the signed checkpoints from (the WARDEN_AUDIT stream, outside the audited
   * database). Absent: the database's own, and Verify says so.
   */
  checkpoints?: ExternalCheckpoints | undefined;
};

export type TailRequest = {
  /** Start after this seq; undefined or 0: from the current head (only new records). */
  afterSeq?: number | undefined;
  types?: readonly string[] | undefined;
};

export type AuditReader = {
  query(
    reader: Reader,
    filter: AuditQueryFilter,
    page: { size: number; afterSeq?: number | undefined },
  ): Promise<Page<AuditRecord>>;
  /** Every matching record in seq order (the read is recorded before the first one). */
  export(reader: Reader, filter: AuditQueryFilter): Promise<AsyncIterable<AuditRecord>>;
  /** Verifies the chain over a range; any audit role may (it reveals no record content). */
  verify(reader: Reader, range: { fromSeq?: number; toSeq?: number }): Promise<VerifyStoredChainResult>;
  /**
   * Records as they are committed: first the stored ones after `afterSeq`, then live ones. The live
   * subscription opens before the store is read, so nothing falls between; a gap in the live seqs
   * (a dropped message, an overflowing buffer) is filled from the store. Ends when `signal` aborts
   * (throwing its reason, so a shutdown reaches the client as UNAVAILABLE).
   */
  tail(reader: Reader, request: TailRequest, signal: AbortSignal): AsyncGenerator<AuditRecord>;
};

export function createAuditReader(deps: AuditReaderDeps): AuditReader {
  const { store } = deps;

  const record = async (access: AuditAccess): Promise<void> => {
    try {
      await deps.accessLog.recorded(access);
    } catch (err) {
      throw new UnavailableError("cannot record this read of the audit trail; refused", { cause: err });
    }
  };

  const scoped = (reader: Reader, filter: AuditQueryFilter) => {
    const scope = accessScopeFor(reader, deps.roles);
    return { scope, filter: scopedFilter(filter, scope) };
  };

  async function* tail(
    reader: Reader,
    request: TailRequest,
    signal: AbortSignal,
  ): AsyncGenerator<AuditRecord> {
    const asked = scoped(reader, { types: request.types });
    await record({
      method: "tail",
      reader,
      scope: asked.scope,
      filter: { types: request.types },
      page: { size: 0, afterSeq: request.afterSeq },
    });
    const live = deps.feed.open();
    const onAbort = (): void => live.close();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      let last = request.afterSeq ?? 0;
      if (last === 0) {
        last = (await store.lastRecord())?.seq ?? 0;
      } else {
        for await (const stored of store.stream(last + 1, Number.MAX_SAFE_INTEGER)) {
          signal.throwIfAborted();
          last = stored.seq;
          if (matchesFilter(stored, asked.filter)) yield stored;
        }
      }
      for await (const fresh of live) {
        if (fresh.seq <= last) continue;
        if (fresh.seq > last + 1) {
          for await (const missed of store.stream(last + 1, fresh.seq - 1)) {
            signal.throwIfAborted();
            last = missed.seq;
            if (matchesFilter(missed, asked.filter)) yield missed;
          }
        }
        last = fresh.seq;
        if (matchesFilter(fresh, asked.filter)) yield fresh;
      }
      signal.throwIfAborted();
    } finally {
      signal.removeEventListener("abort", onAbort);
      live.close();
    }
  }

  return {
    async query(reader, filter, page) {
      const asked = scoped(reader, filter);
      await record({ method: "query", reader, scope: asked.scope, filter, page });
      return store.query(asked.filter, page);
    },
    async export(reader, filter) {
      const asked = scoped(reader, filter);
      await record({ method: "export", reader, scope: asked.scope, filter });
      return store.find(asked.filter);
    },
    async verify(reader, range) {
      const scope = accessScopeFor(reader, deps.roles);
      await record({
        method: "verify",
        reader,
        scope,
        range: { fromSeq: range.fromSeq ?? 1, toSeq: range.toSeq },
      });
      const external = deps.checkpoints;
      let checkpoints;
      if (external !== undefined) {
        try {
          checkpoints = await external.read();
        } catch (err) {
          // Never fall back to the database's own: they are what a rewrite would have replaced.
          throw new UnavailableError(
            `cannot read the signed checkpoints from the ${external.source}; not verified`,
            {
              cause: err,
            },
          );
        }
      }
      return verifyStoredChain(
        { store, publicKeys: deps.publicKeys },
        { ...range, checkpoints, checkpointSource: external?.source },
      );
    },
    tail,
  };
}
