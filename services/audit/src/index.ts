// @warden/audit: the audit trail's domain core, use cases and store adapters. The service itself
// starts from main.ts (start-audit-service.ts, imported after telemetry; not exported here).
export {
  RETENTION_CLASSES,
  isEncryptedValue,
  retainUntil,
  retentionClassFor,
  type AuditActor,
  type AuditAi,
  type AuditApproval,
  type AuditRecord,
  type AuditRecordDraft,
  type AuditWhat,
  type AuditWhere,
  type AuditWhy,
  type EncryptedValue,
  type MaybeEncrypted,
  type RetentionClass,
  type UnsealedAuditRecord,
} from "./domain/audit-record.ts";
export {
  CheckpointSigner,
  checkpointSigningInput,
  parsePublicKey,
  parseSigningKey,
  signingKeyId,
  verifyCheckpointSignature,
  type Checkpoint,
  type CheckpointBody,
  type CheckpointPublicKeys,
} from "./domain/checkpoint.ts";
export {
  AuditConfigError,
  AuditError,
  ChainConflictError,
  ChainInvariantError,
  DecryptionError,
} from "./domain/errors.ts";
export {
  FieldEncryptor,
  decryptRecord,
  decryptValue,
  defaultKeyId,
  encryptValue,
  parseEncryptedFieldPaths,
  parseEncryptionKey,
  type EncryptionKey,
  type EncryptionKeyring,
} from "./domain/field-encryption.ts";
export {
  EMPTY_CHAIN,
  GENESIS_HASH,
  HASH_VERSION,
  assertChainSegment,
  canonicalRecordJson,
  chainRecords,
  computeRecordHash,
  hashV1,
  headOf,
  hashedText,
  recordHashMatches,
  sealRecord,
  type ChainHead,
} from "./domain/hash-chain.ts";
export { toStorableJson, type JsonObject, type JsonValue } from "./domain/json.ts";
export {
  jsonDigest,
  normalizeEnvironment,
  recordFromEvent,
  type RecordFromEventOptions,
} from "./domain/record-from-event.ts";
export {
  verifyChain,
  type ChainProblem,
  type VerifyChainFailure,
  type VerifyChainOk,
  type VerifyChainOptions,
  type VerifyChainResult,
} from "./domain/verify-chain.ts";
export {
  MAX_PAGE_SIZE,
  type AppendResult,
  type AppendStop,
  type AuditQueryFilter,
  type AuditStore,
  type Page,
  type PageRequest,
  type RecentEvent,
  type SeqRange,
} from "./app/ports.ts";
export {
  createAuditWriter,
  type AuditWriter,
  type AuditWriterDeps,
  type IncomingAuditEvent,
  type WriteResult,
} from "./app/audit-writer.ts";
export { createCheckpointer, type Checkpointer, type CheckpointerDeps } from "./app/checkpointer.ts";
export { matchesFilter } from "./app/matches-filter.ts";
export { createAuditRecorder, type AuditRecorder, type AuditRecorderDeps } from "./app/audit-recorder.ts";
export {
  createAuditReader,
  type AuditReader,
  type AuditReaderDeps,
  type TailRequest,
} from "./app/audit-reader.ts";
export {
  DEFAULT_ACCESS_ROLES,
  accessScopeFor,
  scopedFilter,
  type AccessRoles,
  type AccessScope,
  type Reader,
} from "./app/access-scope.ts";
export type {
  AccessLog,
  AuditAccess,
  AuditReadMethod,
  CheckpointSourceKind,
  ExternalCheckpoints,
  LiveRecords,
  RecordFeed,
  RecordPublisher,
} from "./app/ports.ts";
export {
  verifyStoredChain,
  type VerifyStoredChainRequest,
  type VerifyStoredChainResult,
} from "./app/verify-stored-chain.ts";
export {
  AUDIT_CHECKPOINTS_COLLECTION,
  AUDIT_EVENTS_COLLECTION,
  DEFAULT_INSERT_CHUNK,
  createMongoAuditStore,
  type MongoAuditStore,
  type AuditCheckpointDocument,
  type AuditEventDocument,
  type MongoAuditStoreOptions,
} from "./adapters/mongo/mongo-audit-store.ts";
export { createInMemoryAuditStore, type InMemoryAuditStore } from "./adapters/fakes/in-memory-audit-store.ts";
export { readStreamCheckpoints, streamCheckpoints } from "./adapters/nats/stream-checkpoints.ts";
export { verifyAuditDatabase, type VerifyAuditDatabaseRequest } from "./verify-audit-database.ts";
export {
  restoreAuditFromStream,
  type RestoreAuditFromStreamRequest,
  type RestoreAuditFromStreamResult,
} from "./restore-audit-from-stream.ts";
// The configuration schema, for tools that check a deployment's environment (test/ops/deploy-helm.test.ts).
export { loadConfig } from "./config.ts";
