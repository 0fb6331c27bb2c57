// Use cases that read the trail: Query, Export, Verify, Tail. Each is scoped by the reader's role
// (access-scope.ts) and recorded through the AccessLog *before* anything is returned: if the read
// cannot be recorded it is refused. Recording a read is a plain domain event that the consumer
// stores like any other; storing it reads nothing, so it can never cause another read event.
import { UnavailableError } from "@warden/grpc/errors";
import type { AuditRecord } from "../domain/audit-record.ts";
import type { CheckpointPublicKeys } from "../domain/checkpoint.ts";
import type { VerifyChainResult } from "../domain/verify-chain.ts";
import { accessScopeFor, scopedFilter, type AccessRoles, type Reader } from "./access-scope.ts";
import { matchesFilter, type AuditQueryFilter, type AuditStore, type Page } from "./audit-store.ts";
import type { AccessLog, AuditAccess, RecordFeed } from "./ports.ts";
import { verifyStoredChain } from "./verify-stored-chain.ts";

export type AuditReaderDeps = {
  store: AuditStore;
  accessLog: AccessLog;
  feed: RecordFeed;
  publicKeys: CheckpointPublicKeys;
  roles?: AccessRoles | undefined;
};

export type TailRequest = {
  /** Start after this seq; undefined or 0: from the current head (only new records). */
  afterSeq?: number | undefined;
  types?: readonly string[] | undefined;
};

export class AuditReader {
  readonly #deps: AuditReaderDeps;

  constructor(deps: AuditReaderDeps) {
    this.#deps = deps;
  }

  async #record(access: AuditAccess): Promise<void> {
    try {
      await this.#deps.accessLog.recorded(access);
    } catch (err) {
      throw new UnavailableError("cannot record this read of the audit trail; refused", { cause: err });
    }
  }

  #scope(reader: Reader, filter: AuditQueryFilter) {
    const scope = accessScopeFor(reader, this.#deps.roles);
    return { scope, filter: scopedFilter(filter, scope) };
  }

  async query(
    reader: Reader,
    filter: AuditQueryFilter,
    page: { size: number; afterSeq?: number | undefined },
  ): Promise<Page<AuditRecord>> {
    const scoped = this.#scope(reader, filter);
    await this.#record({ method: "query", reader, scope: scoped.scope, filter, page });
    return this.#deps.store.query(scoped.filter, page);
  }

  /** Every matching record in seq order (the read is recorded before the first one). */
  async export(reader: Reader, filter: AuditQueryFilter): Promise<AsyncIterable<AuditRecord>> {
    const scoped = this.#scope(reader, filter);
    await this.#record({ method: "export", reader, scope: scoped.scope, filter });
    return this.#deps.store.find(scoped.filter);
  }

  /** Verifies the chain over a range; any audit role may (it reveals no record content). */
  async verify(reader: Reader, range: { fromSeq?: number; toSeq?: number }): Promise<VerifyChainResult> {
    const scope = accessScopeFor(reader, this.#deps.roles);
    await this.#record({
      method: "verify",
      reader,
      scope,
      range: { fromSeq: range.fromSeq ?? 1, toSeq: range.toSeq },
    });
    return verifyStoredChain({ store: this.#deps.store, publicKeys: this.#deps.publicKeys }, range);
  }

  /**
   * Records as they are committed: first the stored ones after `afterSeq`, then live ones. The live
   * subscription opens before the store is read, so nothing falls between; a gap in the live seqs
   * (a dropped message, an overflowing buffer) is filled from the store. Ends when `signal` aborts
   * (throwing its reason, so a shutdown reaches the client as UNAVAILABLE).
   */
  async *tail(reader: Reader, request: TailRequest, signal: AbortSignal): AsyncGenerator<AuditRecord> {
    const scoped = this.#scope(reader, { types: request.types });
    await this.#record({
      method: "tail",
      reader,
      scope: scoped.scope,
      filter: { types: request.types },
      page: { size: 0, afterSeq: request.afterSeq },
    });
    const { store } = this.#deps;
    const live = this.#deps.feed.open();
    const onAbort = (): void => live.close();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      let last = request.afterSeq ?? 0;
      if (last === 0) {
        last = (await store.lastRecord())?.seq ?? 0;
      } else {
        for await (const record of store.stream(last + 1, Number.MAX_SAFE_INTEGER)) {
          signal.throwIfAborted();
          last = record.seq;
          if (matchesFilter(record, scoped.filter)) yield record;
        }
      }
      for await (const record of live) {
        if (record.seq <= last) continue;
        if (record.seq > last + 1) {
          for await (const missed of store.stream(last + 1, record.seq - 1)) {
            signal.throwIfAborted();
            last = missed.seq;
            if (matchesFilter(missed, scoped.filter)) yield missed;
          }
        }
        last = record.seq;
        if (matchesFilter(record, scoped.filter)) yield record;
      }
      signal.throwIfAborted();
    } finally {
      signal.removeEventListener("abort", onAbort);
      live.close();
    }
  }
}
