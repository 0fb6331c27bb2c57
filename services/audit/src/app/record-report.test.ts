import { describe, expect, it } from "vitest";
import { InMemoryReportLog } from "../adapters/fakes/in-memory-ports.ts";
import type { RecordedReport } from "./ports.ts";
import { createReportRecorder } from "./record-report.ts";

const report: RecordedReport = {
  reportDigest: `sha256:${"a".repeat(64)}`,
  framework: "soc2",
  keyId: "ed25519:0123456789abcdef",
  signature: "c2ln",
  summary: { pass: 3, fail: 1, manual: 2, noEvidence: 0 },
  firstSeq: 1,
  lastSeq: 40,
};

describe("createReportRecorder", () => {
  it("records a report for an all-scope reader, the reader as who recorded it", async () => {
    const log = new InMemoryReportLog();
    const auditor = { id: "audrey", type: "human", roles: ["auditor"] };
    await expect(createReportRecorder({ log }).record(auditor, report)).resolves.toEqual({
      eventId: "report-1",
    });
    expect(log.reports).toEqual([{ report, by: auditor }]);
  });

  it("refuses an engineer or a team lead (a report speaks for the whole trail) and records nothing", async () => {
    const log = new InMemoryReportLog();
    const recorder = createReportRecorder({ log });
    await expect(recorder.record({ id: "e", type: "human", roles: ["engineer"] }, report)).rejects.toThrow(
      /may not record a compliance report/,
    );
    await expect(recorder.record({ id: "n", type: "human", roles: [] }, report)).rejects.toThrow(
      /no audit role/,
    );
    expect(log.reports).toEqual([]);
  });
});
