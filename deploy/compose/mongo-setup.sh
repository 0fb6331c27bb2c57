#!/bin/sh
# compose.yaml's one-shot MongoDB setup (idempotent): replica set rs0 of mongo-1..3, then
# deploy/mongodb/audit-role.js (validators, indexes, roles), then the warden-audit user holding
# only wardenAuditWriter (find + insert). The Helm chart's setup Job does the same.
set -eu
USER=$(cat /run/secrets/mongo-root-username)
PASS=$(cat /run/secrets/mongo-root-password)
export WARDEN_AUDIT_PASSWORD="$(cat /run/secrets/mongo-audit-password)"
mongosh --quiet "mongodb://$USER:$PASS@mongo-1:27017/admin?directConnection=true" --eval '
  let ok = false;
  try { ok = rs.status().ok === 1; } catch (e) { ok = false; }
  if (!ok) rs.initiate({ _id: "rs0", members: [
    { _id: 0, host: "mongo-1:27017" }, { _id: 1, host: "mongo-2:27017" }, { _id: 2, host: "mongo-3:27017" } ] });
  for (let i = 0; i < 120 && !db.hello().isWritablePrimary && !db.hello().primary; i++) sleep(1000);
'
RS="mongodb://$USER:$PASS@mongo-1:27017,mongo-2:27017,mongo-3:27017/admin?replicaSet=rs0"
mongosh --quiet "$RS" --file /scripts/audit-role.js
mongosh --quiet "$RS" --eval '
  const audit = db.getSiblingDB(process.env.WARDEN_AUDIT_DB);
  if (audit.getUser("warden-audit") === null)
    audit.createUser({ user: "warden-audit", pwd: process.env.WARDEN_AUDIT_PASSWORD, roles: ["wardenAuditWriter"] });
  else audit.grantRolesToUser("warden-audit", ["wardenAuditWriter"]);
'
