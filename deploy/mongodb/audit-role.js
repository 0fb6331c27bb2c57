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
const encrypted = {
  bsonType: "object",
  required: ["enc", "keyId", "iv", "tag", "ct"],
  additionalProperties: false,
  properties: {
    enc: { enum: ["aes-256-gcm"] },
    keyId: { bsonType: "string" },
    iv: { bsonType: "string" },
    tag: { bsonType: "string" },
    ct: { bsonType: "string" },
  },
};
const maybeEncryptedString = { oneOf: [{ bsonType: "string" }, { bsonType: "null" }, encrypted] };
const hex64 = { bsonType: "string", pattern: "^[0-9a-f]{64}$" };
const isoTime = { bsonType: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$" };

// One record per event; hash version 1 (services/audit/README.md). Top-level fields are closed:
// a new record field is a new hash version and a new validator, deployed before the service.
const auditEventsSchema = {
  bsonType: "object",
  additionalProperties: false,
  required: [
    "_id",
    "eventId",
    "seq",
    "type",
    "subject",
    "source",
    "time",
    "recordedAt",
    "retainUntil",
    "traceId",
    "actor",
    "actionId",
    "agentId",
    "what",
    "where",
    "why",
    "outcome",
    "approvals",
    "ai",
    "retentionClass",
    "data",
    "encryptedFields",
    "issues",
    "prevHash",
    "hash",
    "hashVersion",
  ],
  properties: {
    _id: { bsonType: "string" },
    eventId: { bsonType: "string", minLength: 1 },
    seq: { bsonType: ["int", "long", "double"], minimum: 1 },
    type: { bsonType: "string" },
    subject: { bsonType: "string" },
    source: nullable("string"),
    time: isoTime,
    recordedAt: isoTime,
    retainUntil: isoTime,
    traceId: nullable("string"),
    actor: {
      bsonType: "object",
      required: ["type", "id", "name", "roles", "team"],
      additionalProperties: false,
      properties: {
        type: { bsonType: "string" },
        id: { bsonType: "string" },
        name: nullable("string"),
        roles: { bsonType: "array", items: { bsonType: "string" } },
        team: nullable("string"),
      },
    },
    actionId: nullable("string"),
    agentId: nullable("string"),
    what: {
      bsonType: "object",
      required: ["action", "tool", "argumentsDigest", "target"],
      properties: {
        action: nullable("string"),
        tool: nullable("string"),
        argumentsDigest: nullable("string"),
        target: maybeEncryptedString,
      },
    },
    where: {
      bsonType: "object",
      required: ["environment", "service", "resource"],
      properties: {
        environment: nullable("string"),
        service: nullable("string"),
        resource: maybeEncryptedString,
      },
    },
    why: {
      bsonType: "object",
      required: ["reason", "ticket", "ruleIds", "bundleDigest"],
      properties: {
        reason: maybeEncryptedString,
        ticket: nullable("string"),
        ruleIds: { bsonType: "array", items: { bsonType: "string" } },
        bundleDigest: nullable("string"),
      },
    },
    outcome: nullable("string"),
    approvals: {
      bsonType: "array",
      items: {
        bsonType: "object",
        required: ["by", "decision", "at", "comment"],
        properties: {
          by: { bsonType: "string" },
          decision: nullable("string"),
          at: nullable("string"),
          comment: maybeEncryptedString,
        },
      },
    },
    ai: {
      oneOf: [
        { bsonType: "null" },
        {
          bsonType: "object",
          required: ["model", "version", "promptDigest", "rationale", "confidence"],
          properties: {
            model: nullable("string"),
            version: nullable("string"),
            promptDigest: nullable("string"),
            rationale: maybeEncryptedString,
            confidence: { bsonType: ["double", "int", "long", "decimal", "null"] },
          },
        },
      ],
    },
    retentionClass: { enum: ["production-7y", "staging-1y", "development-90d"] },
    data: {}, // any JSON: the event's data as received (encrypted paths replaced)
    encryptedFields: { bsonType: "array", items: { bsonType: "string" } },
    issues: { bsonType: "array", items: { bsonType: "string" } },
    prevHash: hex64,
    hash: hex64,
    hashVersion: { enum: [1] },
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
