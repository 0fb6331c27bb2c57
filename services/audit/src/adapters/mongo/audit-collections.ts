// The audit collections' indexes and validators, read from audit-collections.json: the one
// definition, also applied by deploy/mongodb/audit-role.js (mongosh reads the same file).
import type { IndexDescription } from "mongodb";
import { z } from "zod";
import definition from "./audit-collections.json" with { type: "json" };

const indexSchema = z.strictObject({
  key: z.record(z.string(), z.union([z.literal(1), z.literal(-1)])),
  name: z.string().min(1),
  unique: z.boolean().optional(),
});

const collectionSchema = z.strictObject({
  /** A MongoDB `$jsonSchema`; applied by deploy/mongodb only (FerretDB has no validators). */
  validator: z.record(z.string(), z.unknown()),
  indexes: z.array(indexSchema),
});

const definitionSchema = z.strictObject({
  $comment: z.string(),
  audit_events: collectionSchema,
  audit_checkpoints: collectionSchema,
});

/** Parsed once at load: a malformed definition fails the import, naming the field. */
export const AUDIT_COLLECTIONS = definitionSchema.parse(definition);

/** The indexes of `audit_events`; the unique seq index is what fences concurrent writers. */
export const AUDIT_EVENTS_INDEXES: readonly IndexDescription[] = AUDIT_COLLECTIONS.audit_events.indexes;
