// MongoDB (not FerretDB) setup for the audit trail: the `audit_events` collection validator, the
// indexes, and the roles. The audit writer gets find + insert on its two collections and nothing
// else: no update, no delete, no drop — the database itself refuses to rewrite history.
//
//   WARDEN_AUDIT_DB=warden mongosh "mongodb://admin@mongo-0:27017/?replicaSet=rs0" --file deploy/mongodb/audit-role.js
//
// Idempotent: re-running updates the validator and roles in place. Run it with an admin account
// at deploy time (the service itself never creates indexes in production: it lacks createIndex).
/* global db, process, print */

const dbName = process.env.WARDEN_AUDIT_DB || "warden";
const audit = db.getSiblingDB(dbName);

const nullable = (bsonType) => ({ bsonType: [bsonType, "null"] });
const hex64 = { bsonType: "string", pattern: "^[0-9a-f]{64}$" };
const isoTime = { bsonType: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$" };

// One record per event, document layout 2 (docs/adr/0007-audit-document-layout.md): the fields
// queries and indexes use, as real fields, and `canonical` — the record without `hash` as RFC 8785
// JSON, exactly the text its hash (version 1, services/audit/README.md) covers. Real fields are
// copies of the record's own values: the service reads a document as the text with the real fields
// laid over it, so a real field changed here fails verification. The layout is closed: anything
// else in a document is refused. Documents written before layout 2 (the whole record as fields)
// are never updated, so the validator (checked on writes) leaves them as they are.
const auditEventsSchema = {
  bsonType: "object",
  additionalProperties: false,
  required: [
    "_id",
    "seq",
    "type",
    "time",
    "actor",
    "agentId",
    "actionId",
    "what",
    "where",
    "hash",
    "canonical",
  ],
  properties: {
    _id: { bsonType: "string", minLength: 1 }, // the record's eventId
    seq: { bsonType: ["int", "long", "double"], minimum: 1 },
    type: { bsonType: "string" },
    time: isoTime,
    actor: {
      bsonType: "object",
      required: ["id", "team"],
      additionalProperties: false,
      properties: { id: { bsonType: "string" }, team: nullable("string") },
    },
    agentId: nullable("string"),
    actionId: nullable("string"),
    what: {
      bsonType: "object",
      required: ["action"],
      additionalProperties: false,
      properties: { action: nullable("string") },
    },
    where: {
      bsonType: "object",
      required: ["environment"],
      additionalProperties: false,
      properties: { environment: nullable("string") },
    },
    hash: hex64,
    // A JSON object of hash version 1 (a new hash version comes with a new validator).
    canonical: { bsonType: "string", pattern: '^\\{.*"hashVersion":1,' },
  },
};

const auditCheckpointsSchema = {
  bsonType: "object",
  additionalProperties: false,
  required: ["_id", "seq", "hash", "time", "keyId", "signature"],
  properties: {
    _id: { bsonType: ["int", "long", "double"] },
    seq: { bsonType: ["int", "long", "double"], minimum: 1 },
    hash: hex64,
    time: isoTime,
    keyId: { bsonType: "string" },
    signature: { bsonType: "string" },
  },
};

function ensureCollection(name, schema) {
  const options = {
    validator: { $jsonSchema: schema },
    validationLevel: "strict",
    validationAction: "error",
  };
  if (audit.getCollectionNames().includes(name)) audit.runCommand({ collMod: name, ...options });
  else audit.createCollection(name, options);
}

ensureCollection("audit_events", auditEventsSchema);
ensureCollection("audit_checkpoints", auditCheckpointsSchema);

// Same indexes as MongoAuditStore.ensureIndexes(); the unique seq index fences concurrent writers.
audit.runCommand({
  createIndexes: "audit_events",
  indexes: [
    { key: { seq: 1 }, name: "seq_unique", unique: true },
    { key: { actionId: 1, seq: 1 }, name: "actionId_seq" },
    { key: { "actor.id": 1, seq: 1 }, name: "actor_seq" },
    { key: { agentId: 1, seq: 1 }, name: "agentId_seq" },
    { key: { type: 1, seq: 1 }, name: "type_seq" },
    { key: { time: 1 }, name: "time" },
  ],
});

const onAuditCollections = (actions) => [
  { resource: { db: dbName, collection: "audit_events" }, actions },
  { resource: { db: dbName, collection: "audit_checkpoints" }, actions },
];

function ensureRole(role, privileges) {
  if (audit.getRole(role) === null) audit.createRole({ role, privileges, roles: [] });
  else audit.updateRole(role, { privileges, roles: [] });
}

// The audit service: append and read. No update, delete, drop, collMod, createIndex.
ensureRole("wardenAuditWriter", onAuditCollections(["find", "insert"]));
// Auditors and `warden audit verify` run with read access only.
ensureRole("wardenAuditReader", onAuditCollections(["find"]));

print(`audit collections, indexes and roles ready in database ${dbName}`);
// Users are created by the platform's secret management, e.g.:
//   db.getSiblingDB("warden").createUser({ user: "warden-audit", pwd: passwordPrompt(), roles: ["wardenAuditWriter"] })
