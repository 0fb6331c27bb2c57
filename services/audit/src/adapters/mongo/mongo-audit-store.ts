// AuditStore on a Mongo-wire database (MongoDB in production, FerretDB in CI). Append-only by
// construction: this file only ever inserts and finds (a unit test greps it for anything else);
// the MongoDB role in deploy/mongodb grants the writer no more than that.
//
//   audit_events       _id = eventId (redelivery is a duplicate key), unique index on seq
//   audit_checkpoints  _id = seq
import {
  MongoBulkWriteError,
  MongoServerError,
  type Db,
  type Filter,
  type IndexDescription,
  type ReadConcernLike,
  type WriteConcernSettings,
  type WriteError,
} from "mongodb";
import type {
  AppendResult,
  AuditQueryFilter,
  AuditStore,
  Page,
  PageRequest,
  RecentEvent,
  SeqRange,
} from "../../app/ports.ts";
import { MAX_PAGE_SIZE } from "../../app/ports.ts";
import { AUDIT_EVENTS_INDEXES } from "./audit-collections.ts";
import type { AuditRecord } from "../../domain/audit-record.ts";
import type { Checkpoint } from "../../domain/checkpoint.ts";
import { assertChainSegment, GENESIS_HASH, headOf, type ChainHead } from "../../domain/hash-chain.ts";

export const AUDIT_EVENTS_COLLECTION = "audit_events";
export const AUDIT_CHECKPOINTS_COLLECTION = "audit_checkpoints";

/** A record as stored: `_id` is its eventId; the hash does not cover `_id`. */
export type AuditEventDocument = { _id: string } & AuditRecord;
export type AuditCheckpointDocument = { _id: number } & Checkpoint;

const DUPLICATE_KEY = 11000;
const WRITE_CONCERN: WriteConcernSettings = { w: "majority", journal: true };
/** Never build on a record a failover could still roll back. */
const READ_CONCERN: ReadConcernLike = { level: "majority" };

function toRecord(doc: AuditEventDocument): AuditRecord {
  // Destructuring keeps the stored key order, which hash verification's fast path relies on.
  const { _id: _ignored, ...record } = doc;
  return record;
}

function toCheckpoint(doc: AuditCheckpointDocument): Checkpoint {
  const { _id: _ignored, ...checkpoint } = doc;
  return checkpoint;
}

function firstWriteError(err: MongoBulkWriteError): WriteError | undefined {
  const refused: WriteError | readonly WriteError[] = err.writeErrors;
  return isWriteErrorList(refused) ? refused[0] : refused;
}

function isWriteErrorList(value: WriteError | readonly WriteError[]): value is readonly WriteError[] {
  return Array.isArray(value);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function whereOf(filter: AuditQueryFilter, afterSeq: number | undefined): Filter<AuditEventDocument> {
  const where: Filter<AuditEventDocument> = {};
  if (afterSeq !== undefined) where.seq = { $gt: afterSeq };
  if (filter.actorId !== undefined) where["actor.id"] = filter.actorId;
  if (filter.actorType !== undefined) where["actor.type"] = filter.actorType;
  if (filter.team !== undefined) where["actor.team"] = filter.team;
  if (filter.agentId !== undefined) where.agentId = filter.agentId;
  if (filter.action !== undefined) where["what.action"] = filter.action;
  if (filter.actionId !== undefined) where.actionId = filter.actionId;
  if (filter.environment !== undefined) where["where.environment"] = filter.environment;
  if (filter.types !== undefined && filter.types.length > 0) {
    where.$or = filter.types.map((t) =>
      t.endsWith("*") ? { type: { $regex: `^${escapeRegex(t.slice(0, -1))}` } } : { type: t },
    );
  }
  if (filter.timeFrom !== undefined || filter.timeTo !== undefined) {
    where.time = {
      ...(filter.timeFrom !== undefined && { $gte: filter.timeFrom }),
      ...(filter.timeTo !== undefined && { $lt: filter.timeTo }),
    };
  }
  return where;
}

/**
 * Records per insert command. FerretDB 1.24 runs an insert in batches of its --test-batch-size
 * (default 100) and, after a duplicate key in one batch, goes on with the next, so records after
 * the duplicate can land although the insert is ordered and reports them unwritten: a writer that
 * then re-chains them forks the chain. A command no larger than one FerretDB batch keeps the
 * ordered-insert contract; on MongoDB, which honours it, a larger chunk saves round trips.
 */
export const DEFAULT_INSERT_CHUNK = 100;

export type MongoAuditStoreOptions = {
  /** MONGO_INSERT_CHUNK: records per insert command; at most FerretDB's --test-batch-size. */
  insertChunk?: number | undefined;
};

export type MongoAuditStore = AuditStore & {
  /**
   * Creates the missing indexes (idempotent). The unique seq index is what fences concurrent writers.
   * Only missing ones are created: FerretDB 1.24 drops the connection (a server panic) when asked
   * to create an index that exists.
   */
  ensureIndexes(): Promise<void>;
};

export function createMongoAuditStore(db: Db, options: MongoAuditStoreOptions = {}): MongoAuditStore {
  /** Records per insert command (MongoAuditStoreOptions.insertChunk). */
  const insertChunk = options.insertChunk ?? DEFAULT_INSERT_CHUNK;
  if (!Number.isInteger(insertChunk) || insertChunk < 1)
    throw new RangeError("insertChunk must be a positive integer");
  const collectionOptions = { writeConcern: WRITE_CONCERN, readConcern: READ_CONCERN };
  const events = db.collection<AuditEventDocument>(AUDIT_EVENTS_COLLECTION, collectionOptions);
  const checkpointDocs = db.collection<AuditCheckpointDocument>(
    AUDIT_CHECKPOINTS_COLLECTION,
    collectionOptions,
  );
  /**
   * A record known to be stored (read or appended by this process). Records never change, so an
   * append extending it needs no lookup of its predecessor — on FerretDB a lookup by seq is a scan.
   */
  let known: ChainHead | undefined;

  const extendsStoredChain = async (first: AuditRecord): Promise<boolean> => {
    if (first.seq === 1) return first.prevHash === GENESIS_HASH;
    if (known?.seq === first.seq - 1) return known.hash === first.prevHash;
    const before = await events.findOne({ seq: first.seq - 1 }, { projection: { seq: 1, hash: 1 } });
    if (before === null) return false;
    known = headOf(before);
    return before.hash === first.prevHash;
  };

  /** An ordered insert stopped at records[index] on a duplicate key: find out which key. */
  const reconcileDuplicate = async (
    records: readonly AuditRecord[],
    index: number,
  ): Promise<AppendResult> => {
    const record = records[index];
    if (record === undefined) return { written: index, stoppedBy: null };
    const sameEvent = await events.findOne({ _id: record.eventId }, { projection: { seq: 1, hash: 1 } });
    if (sameEvent !== null) {
      // Our own record (an insert the driver retried after it had landed): it is committed.
      if (sameEvent.seq === record.seq && sameEvent.hash === record.hash)
        return { written: index + 1, stoppedBy: null };
      return { written: index, stoppedBy: { reason: "duplicate_event", index, eventId: record.eventId } };
    }
    return { written: index, stoppedBy: { reason: "seq_taken", index, seq: record.seq } };
  };

  return {
    async ensureIndexes() {
      const wanted = AUDIT_EVENTS_INDEXES; // audit-collections.json, shared with deploy/mongodb
      const missing = async (): Promise<IndexDescription[]> => {
        const names = new Set((await events.indexes().catch(() => [])).map((index) => String(index.name)));
        return wanted.filter((index) => !names.has(String(index.name)));
      };
      const toCreate = await missing();
      if (toCreate.length === 0) return;
      try {
        await events.createIndexes(toCreate);
      } catch (err) {
        // Another replica may have created them at the same moment.
        if ((await missing()).length > 0) throw err;
      }
    },

    async lastRecord() {
      const [doc] = await events.find({}).sort({ seq: -1 }).limit(1).toArray();
      if (doc === undefined) return null;
      known = headOf(doc);
      return toRecord(doc);
    },

    async recentEvents(limit): Promise<RecentEvent[]> {
      if (limit <= 0) return [];
      const docs = await events
        .find({}, { projection: { _id: 1, seq: 1, hash: 1 } })
        .sort({ seq: -1 })
        .limit(limit)
        .toArray();
      const [last] = docs;
      if (last !== undefined) known = headOf(last);
      return docs.map((d) => ({ eventId: d._id, seq: d.seq, hash: d.hash })).reverse();
    },

    async existingEventIds(eventIds) {
      if (eventIds.length === 0) return new Set();
      const docs = await events.find({ _id: { $in: [...eventIds] } }, { projection: { _id: 1 } }).toArray();
      return new Set(docs.map((d) => d._id));
    },

    async appendBatch(records) {
      assertChainSegment(records);
      const first = records[0];
      if (first === undefined) return { written: 0, stoppedBy: null };
      // Records never change once written, so this check cannot race: either seq - 1 holds the hash
      // records[0] links to, or the caller's head is stale and inserting would fork or leave a gap.
      if (!(await extendsStoredChain(first)))
        return { written: 0, stoppedBy: { reason: "stale_head", index: 0, seq: first.seq } };

      // One insert command per chunk, each ordered, the next only after the previous landed whole:
      // FerretDB 1.24 does not honour "ordered" across its own insert batches (see insertChunk).
      let result: AppendResult = { written: records.length, stoppedBy: null };
      for (let from = 0; from < records.length; from += insertChunk) {
        const chunk = records.slice(from, from + insertChunk);
        try {
          await events.insertMany(
            chunk.map((r) => ({ _id: r.eventId, ...r })),
            { ordered: true },
          );
        } catch (err) {
          const firstError = err instanceof MongoBulkWriteError ? firstWriteError(err) : undefined;
          if (firstError === undefined || firstError.code !== DUPLICATE_KEY) {
            const landed = records[from - 1]; // the chunks before this one are stored
            if (landed !== undefined) known = headOf(landed);
            throw err;
          }
          result = await reconcileDuplicate(records, from + firstError.index);
          break;
        }
      }
      const last = records[result.written - 1];
      if (last !== undefined) known = headOf(last);
      return result;
    },

    async range(fromSeq, toSeq, limit) {
      const cursor = events.find({ seq: { $gte: fromSeq, $lte: toSeq } }).sort({ seq: 1 });
      if (limit !== undefined && Number.isFinite(limit)) cursor.limit(limit);
      return (await cursor.toArray()).map(toRecord);
    },

    async *stream(fromSeq, toSeq) {
      const cursor = events
        .find({ seq: { $gte: fromSeq, $lte: toSeq } })
        .sort({ seq: 1 })
        .batchSize(1000);
      try {
        for await (const doc of cursor) yield toRecord(doc);
      } finally {
        await cursor.close();
      }
    },

    async query(filter: AuditQueryFilter, page: PageRequest): Promise<Page<AuditRecord>> {
      const size = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(page.size)));
      const docs = await events
        .find(whereOf(filter, page.afterSeq))
        .sort({ seq: 1 })
        .limit(size + 1)
        .toArray();
      const items = docs.slice(0, size).map(toRecord);
      const last = items.at(-1);
      return { items, nextAfterSeq: docs.length > size && last !== undefined ? last.seq : null };
    },

    async *find(filter, afterSeq) {
      const cursor = events.find(whereOf(filter, afterSeq)).sort({ seq: 1 }).batchSize(1000);
      try {
        for await (const doc of cursor) yield toRecord(doc);
      } finally {
        await cursor.close();
      }
    },

    async saveCheckpoint(checkpoint) {
      try {
        await checkpointDocs.insertOne({ _id: checkpoint.seq, ...checkpoint });
      } catch (err) {
        if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return;
        throw err;
      }
    },

    async checkpoints(range: SeqRange) {
      const seq =
        range.toSeq === undefined ? { $gte: range.fromSeq } : { $gte: range.fromSeq, $lte: range.toSeq };
      return (await checkpointDocs.find({ seq }).sort({ seq: 1 }).toArray()).map(toCheckpoint);
    },

    async latestCheckpoint() {
      const [doc] = await checkpointDocs.find({}).sort({ seq: -1 }).limit(1).toArray();
      return doc === undefined ? null : toCheckpoint(doc);
    },
  };
}
