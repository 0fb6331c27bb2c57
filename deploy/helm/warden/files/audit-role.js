// MongoDB (not FerretDB) setup for the audit trail: the `audit_events` collection validator, the
// indexes, and the roles. The audit writer gets find + insert on its two collections and nothing
// else: no update, no delete, no drop — the database itself refuses to rewrite history.
//
//   WARDEN_AUDIT_DB=warden mongosh "mongodb://admin@mongo-0:27017/?replicaSet=rs0" --file deploy/mongodb/audit-role.js
//
// Idempotent: re-running updates the validator and roles in place. Run it with an admin account
// at deploy time (the service itself never creates indexes in production: it lacks createIndex).
/* global db, process, print, require, __dirname */

const dbName = process.env.WARDEN_AUDIT_DB || "warden";
const audit = db.getSiblingDB(dbName);

// The collections' validators and indexes have one definition, shared with the service's adapter
// (MongoAuditStore.ensureIndexes() creates the same indexes where this script does not run).
// WARDEN_AUDIT_COLLECTIONS overrides where it is read from.
// mongosh runs --file scripts as CommonJS: require() is how they read a file.
/* eslint-disable @typescript-eslint/no-require-imports */
const fs = require("fs");
const path = require("path");
/* eslint-enable @typescript-eslint/no-require-imports */
const definitionFile =
  process.env.WARDEN_AUDIT_COLLECTIONS ||
  path.join(
    typeof __dirname === "string" ? __dirname : "deploy/mongodb",
    "../../services/audit/src/adapters/mongo/audit-collections.json",
  );
const collections = JSON.parse(fs.readFileSync(definitionFile, "utf8"));

function ensureCollection(name, schema) {
  const options = {
    validator: { $jsonSchema: schema },
    validationLevel: "strict",
    validationAction: "error",
  };
  if (audit.getCollectionNames().includes(name)) audit.runCommand({ collMod: name, ...options });
  else audit.createCollection(name, options);
}

// One record per event; hash version 1 (services/audit/README.md). Top-level fields are closed:
// a new record field is a new hash version and a new validator, deployed before the service.
for (const name of ["audit_events", "audit_checkpoints"]) {
  const { validator, indexes } = collections[name];
  ensureCollection(name, validator);
  // The unique seq index on audit_events fences concurrent writers.
  if (indexes.length > 0) audit.runCommand({ createIndexes: name, indexes });
}

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
