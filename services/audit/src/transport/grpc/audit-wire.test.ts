import { auditV1, commonV1 } from "@warden/contracts";
import { InvalidArgumentError } from "@warden/grpc/errors";
import { describe, expect, it } from "vitest";
import { sampleIncoming } from "../../testing/sample-events.ts";
import { EMPTY_CHAIN, chainRecords } from "../../domain/hash-chain.ts";
import { recordFromEvent } from "../../domain/record-from-event.ts";
import {
  afterSeqFromToken,
  filterFromWire,
  pageSizeFromWire,
  pageTokenFor,
  recordToWire,
  verifyResultToWire,
} from "./audit-wire.ts";

describe("audit wire mapping", () => {
  it("round-trips page tokens and refuses foreign ones naming the field", () => {
    expect(afterSeqFromToken(pageTokenFor(42))).toBe(42);
    expect(pageTokenFor(null)).toBe("");
    expect(afterSeqFromToken("")).toBeUndefined();
    expect(() => afterSeqFromToken("abc")).toThrow(/page_token/);
    expect(pageSizeFromWire(0)).toBe(100);
    expect(() => pageSizeFromWire(1001)).toThrow(InvalidArgumentError);
  });

  it("maps filters, dropping empty fields, and names the bad field", () => {
    const wire = auditV1.AuditFilter.fromPartial({
      actorId: "alice",
      types: ["warden.decision.*"],
      startTime: new Date("2025-01-01T00:00:00Z"),
      environment: commonV1.Environment.ENVIRONMENT_PRODUCTION,
    });
    expect(filterFromWire(wire)).toEqual({
      actorId: "alice",
      agentId: undefined,
      action: undefined,
      actionId: undefined,
      types: ["warden.decision.*"],
      timeFrom: "2025-01-01T00:00:00.000Z",
      timeTo: undefined,
      environment: "production",
    });
    expect(() => filterFromWire(auditV1.AuditFilter.fromPartial({ types: ["warden.*.made"] }))).toThrow(
      /filter.types\[0\]/,
    );
    const backwards = auditV1.AuditFilter.fromPartial({ startTime: new Date(2), endTime: new Date(1) });
    expect(() => filterFromWire(backwards)).toThrow(/filter.end_time: must be after start_time/);
  });

  it("maps a record to the proto, keeping what has no proto field in data", () => {
    const [event] = sampleIncoming(0, 1);
    if (event === undefined) throw new Error("sample");
    const [record] = chainRecords(
      [recordFromEvent(event.envelope, event.subject, { receivedAt: new Date() })],
      EMPTY_CHAIN,
      new Date(),
    );
    if (record === undefined) throw new Error("record");
    const wire = recordToWire(record);
    expect(wire).toMatchObject({
      seq: 1,
      eventId: "evt-0",
      actor: { type: commonV1.ActorType.ACTOR_TYPE_AI_AGENT, id: "agent-0" },
      environment: commonV1.Environment.ENVIRONMENT_PRODUCTION,
      retentionClass: auditV1.RetentionClass.RETENTION_CLASS_PRODUCTION,
      hash: record.hash,
      prevHash: record.prevHash,
    });
    expect(wire.time?.toISOString()).toBe(record.time);
    expect(auditV1.AuditRecord.toJSON(wire)).toMatchObject({ eventId: "evt-0" }); // JSON-lines friendly
  });

  it("maps verify results, a bad signature as REWRITTEN with its detail", () => {
    expect(
      verifyResultToWire({
        ok: true,
        count: 5,
        checkpointsChecked: 1,
        lastSeq: 5,
        lastHash: "x",
        lastCheckpointedSeq: 5,
        checkpointSource: "stream",
        rangeCutAtHead: false,
      }),
    ).toMatchObject({
      ok: true,
      recordsChecked: 5,
      lastGoodSeq: 5,
      checkpointSource: auditV1.CheckpointSource.CHECKPOINT_SOURCE_STREAM,
      rangeCutAtHead: false,
      detail: "",
    });
    expect(
      verifyResultToWire({
        ok: false,
        firstBadSeq: 9,
        problem: "bad_signature",
        detail: "key unknown",
        count: 8,
        checkpointsChecked: 0,
        lastGoodSeq: 8,
        checkpointSource: "database",
        rangeCutAtHead: false,
      }),
    ).toMatchObject({
      ok: false,
      checkpointSource: auditV1.CheckpointSource.CHECKPOINT_SOURCE_DATABASE,
      firstBadSeq: 9,
      problem: auditV1.Problem.PROBLEM_REWRITTEN,
      detail: "bad checkpoint signature: key unknown",
    });
  });
});
