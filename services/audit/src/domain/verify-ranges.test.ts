import { describe, expect, it } from "vitest";
import type { VerifyChainResult } from "./verify-chain.ts";
import { joinRangeResults, planSeqRanges } from "./verify-ranges.ts";

const ok = (lastSeq: number, count: number, lastHash: string | null): VerifyChainResult => ({
  ok: true,
  lastCheckpointedSeq: 0,
  count,
  checkpointsChecked: 0,
  lastSeq,
  lastHash,
});

describe("planSeqRanges", () => {
  it("cuts a range into near-equal consecutive parts; the last runs to toSeq", () => {
    expect(planSeqRanges(1, 10, undefined, 3, [4, 8, 20])).toEqual([
      { fromSeq: 1, toSeq: 3, lastCheckpointedSeq: 0 },
      { fromSeq: 4, toSeq: 6, lastCheckpointedSeq: 0 },
      { fromSeq: 7, toSeq: undefined, lastCheckpointedSeq: 4 },
    ]);
    expect(planSeqRanges(5, 6, 6, 8, [])).toEqual([
      { fromSeq: 5, toSeq: 5, lastCheckpointedSeq: 4 },
      { fromSeq: 6, toSeq: 6, lastCheckpointedSeq: 4 },
    ]);
    expect(planSeqRanges(1, 0, undefined, 4, [])).toEqual([
      { fromSeq: 1, toSeq: undefined, lastCheckpointedSeq: 0 },
    ]);
  });
});

describe("joinRangeResults", () => {
  const plans = planSeqRanges(1, 30, undefined, 3, []);

  it("CONTROL: consecutive ranges whose seams match join into one result", () => {
    expect(
      joinRangeResults(
        plans,
        [undefined, "h10", "h20"],
        [ok(10, 10, "h10"), ok(20, 10, "h20"), ok(30, 10, "h30")],
      ),
    ).toEqual(ok(30, 30, "h30"));
  });

  it("a range that ends early, with records after it, has missing records", () => {
    expect(
      joinRangeResults(
        plans,
        [undefined, undefined, "h20"],
        [ok(8, 8, "h8"), ok(20, 10, "h20"), ok(30, 10, "h30")],
      ),
    ).toMatchObject({
      ok: false,
      firstBadSeq: 9,
      problem: "missing",
      count: 8,
      lastGoodSeq: 8,
    });
  });

  it("a seam read with another hash than the range before ended on is a change", () => {
    expect(
      joinRangeResults(
        plans,
        [undefined, "h10", "hX"],
        [ok(10, 10, "h10"), ok(20, 10, "h20"), ok(30, 10, "h30")],
      ),
    ).toMatchObject({
      ok: false,
      firstBadSeq: 20,
      problem: "modified",
    });
  });

  it("a chain that now ends inside a range ends there, unless a checkpoint lies beyond", () => {
    const empty = (fromSeq: number): VerifyChainResult => ok(fromSeq - 1, 0, null);
    expect(
      joinRangeResults(
        plans,
        [undefined, "h10", undefined],
        [ok(10, 10, "h10"), ok(15, 5, "h15"), empty(21)],
      ),
    ).toEqual(ok(15, 15, "h15"));
    const truncated: VerifyChainResult = {
      ok: false,
      firstBadSeq: 21,
      problem: "truncated",
      detail: "the chain ends at seq 20 but a checkpoint covers seq 30",
      count: 0,
      checkpointsChecked: 0,
      lastGoodSeq: 20,
    };
    expect(
      joinRangeResults(
        plans,
        [undefined, "h10", undefined],
        [ok(10, 10, "h10"), ok(15, 5, "h15"), truncated],
      ),
    ).toMatchObject({
      ok: false,
      firstBadSeq: 16,
      problem: "truncated",
      count: 15,
      lastGoodSeq: 15,
    });
  });
});
