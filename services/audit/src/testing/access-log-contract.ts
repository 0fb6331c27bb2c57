// The AccessLog contract (STYLE.md item 17): one suite that the in-memory fake (a unit test) and the
// NATS adapter (test/access-log-contract.test.ts, on a real NATS server) both pass. `make` returns a
// fresh log, a way to read back the accesses it recorded (oldest first), and `breakIt`, after which
// nothing can be recorded (the event stream is gone).
import { describe, expect, it } from "vitest";
import type { AccessScope } from "../app/access-scope.ts";
import type { AuditQueryFilter } from "../app/ports.ts";
import type { AccessLog, AuditAccess, AuditReadMethod } from "../app/ports.ts";

/** A recorded access as every implementation can show it. */
export interface RecordedAccess {
  method: AuditReadMethod;
  readerId: string;
  scope: AccessScope;
  filter?: AuditQueryFilter | undefined;
  page?: { size: number; afterSeq?: number | undefined } | undefined;
  range?: { fromSeq: number; toSeq?: number | undefined } | undefined;
}

export interface AccessLogUnderTest {
  readonly log: AccessLog;
  readonly recorded: () => Promise<RecordedAccess[]>;
  readonly breakIt: () => Promise<void>;
}

const alice = { id: "alice", type: "human", roles: ["engineer"], team: "payments" };
const eve = { id: "eve", type: "human", roles: ["auditor"] };

export function describeAccessLogContract(name: string, make: () => Promise<AccessLogUnderTest>): void {
  describe(`AccessLog contract: ${name}`, () => {
    it("records each read with its reader, scope, filter, page or range, in order", async () => {
      const { log, recorded } = await make();
      const accesses: AuditAccess[] = [
        {
          method: "query",
          reader: alice,
          scope: { kind: "own", actorId: "alice", actorType: "human" },
          filter: { types: ["warden.decision.*"], environment: "production" },
          page: { size: 50, afterSeq: 100 },
        },
        { method: "verify", reader: eve, scope: { kind: "all" }, range: { fromSeq: 1, toSeq: 10 } },
        { method: "export", reader: alice, scope: { kind: "team", team: "payments" }, filter: {} },
      ];
      for (const access of accesses) await log.recorded(access);
      expect(await recorded()).toEqual([
        {
          method: "query",
          readerId: "alice",
          scope: { kind: "own", actorId: "alice", actorType: "human" },
          filter: { types: ["warden.decision.*"], environment: "production" },
          page: { size: 50, afterSeq: 100 },
        },
        { method: "verify", readerId: "eve", scope: { kind: "all" }, range: { fromSeq: 1, toSeq: 10 } },
        { method: "export", readerId: "alice", scope: { kind: "team", team: "payments" }, filter: {} },
      ]);
    });

    it("refuses (rejects) when the access cannot be recorded, so the read is refused", async () => {
      const { log, breakIt } = await make();
      await log.recorded({ method: "tail", reader: eve, scope: { kind: "all" } }); // control
      await breakIt();
      await expect(log.recorded({ method: "tail", reader: eve, scope: { kind: "all" } })).rejects.toThrow();
    });
  });
}
