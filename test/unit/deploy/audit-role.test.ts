// deploy/mongodb/audit-role.js must create exactly what the audit collections' definition says
// (services/audit/src/adapters/mongo/audit-collections.json, which MongoAuditStore also reads): the
// script runs here against a recording stand-in for mongosh's `db`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import vm from "node:vm";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const SCRIPT = join(ROOT, "deploy/mongodb/audit-role.js");
const DEFINITION = join(ROOT, "services/audit/src/adapters/mongo/audit-collections.json");

interface Created {
  validators: Record<string, unknown>;
  indexes: Record<string, unknown>;
  commands: string[];
}

/** Runs the script as mongosh would, against a database holding `existing` collections. */
function runScript(env: Record<string, string>, existing: string[] = []): Created {
  const created: Created = { validators: {}, indexes: {}, commands: [] };
  const options = (o: { validator: { $jsonSchema: unknown } }): unknown => o.validator.$jsonSchema;
  const audit = {
    getCollectionNames: () => existing,
    createCollection: (name: string, o: { validator: { $jsonSchema: unknown } }) => {
      created.commands.push(`create ${name}`);
      created.validators[name] = options(o);
    },
    runCommand: (c: {
      collMod?: string;
      createIndexes?: string;
      indexes?: unknown;
      validator?: { $jsonSchema: unknown };
    }) => {
      if (c.collMod !== undefined && c.validator !== undefined) {
        created.commands.push(`collMod ${c.collMod}`);
        created.validators[c.collMod] = c.validator.$jsonSchema;
      }
      if (c.createIndexes !== undefined) {
        created.commands.push(`createIndexes ${c.createIndexes}`);
        created.indexes[c.createIndexes] = c.indexes;
      }
    },
    getRole: () => null,
    createRole: () => undefined,
    updateRole: () => undefined,
  };
  vm.runInNewContext(readFileSync(SCRIPT, "utf8"), {
    db: { getSiblingDB: () => audit },
    process: { env },
    print: () => undefined,
    require: createRequire(SCRIPT),
    __dirname: join(ROOT, "deploy/mongodb"),
  });
  return created;
}

function definition(file = DEFINITION): {
  audit_events: { validator: unknown; indexes: unknown[] };
  audit_checkpoints: { validator: unknown; indexes: unknown[] };
} {
  return JSON.parse(readFileSync(file, "utf8")) as ReturnType<typeof definition>;
}

describe("deploy/mongodb/audit-role.js", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("creates the validators and indexes of the shared definition", () => {
    const want = definition();
    const created = runScript({});
    expect(created.validators).toEqual({
      audit_events: want.audit_events.validator,
      audit_checkpoints: want.audit_checkpoints.validator,
    });
    expect(created.indexes).toEqual({ audit_events: want.audit_events.indexes });
    expect(want.audit_events.indexes).toContainEqual({ key: { seq: 1 }, name: "seq_unique", unique: true });
    expect(created.commands).toEqual([
      "create audit_events",
      "createIndexes audit_events",
      "create audit_checkpoints",
    ]);
  });

  it("updates existing collections in place with the same validators", () => {
    const want = definition();
    const created = runScript({}, ["audit_events", "audit_checkpoints"]);
    expect(created.commands).toEqual([
      "collMod audit_events",
      "createIndexes audit_events",
      "collMod audit_checkpoints",
    ]);
    expect(created.validators["audit_events"]).toEqual(want.audit_events.validator);
  });

  it("reads the definition file, not a copy of its own", () => {
    dir = mkdtempSync(join(tmpdir(), "audit-role-"));
    const planted = definition();
    planted.audit_events.indexes = [{ key: { planted: 1 }, name: "planted" }];
    const file = join(dir, "audit-collections.json");
    writeFileSync(file, JSON.stringify(planted));
    expect(runScript({ WARDEN_AUDIT_COLLECTIONS: file }).indexes).toEqual({
      audit_events: [{ key: { planted: 1 }, name: "planted" }],
    });
  });
});
