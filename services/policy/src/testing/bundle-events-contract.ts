// The BundleEvents contract (STYLE.md item 17): one suite that the fake (a unit test) and the NATS
// adapter (test/bundle-events-contract.test.ts, on a real NATS server) both pass. `make` returns a
// fresh sink and a way to read back what it recorded, oldest first.
import { describe, expect, it } from "vitest";
import type { BundleEvents } from "../app/ports.ts";

/** A recorded bundle event as every implementation can show it. */
export type RecordedBundleEvent =
  | { kind: "activated"; digest: string; previousDigest: string | undefined; ruleCount: number; at: string }
  | {
      kind: "rejected";
      digest: string | undefined;
      activeDigest: string | undefined;
      issues: { file: string; line: number; field: string; reason: string }[];
      at: string;
    };

export interface BundleEventsUnderTest {
  readonly events: BundleEvents;
  readonly recorded: () => Promise<RecordedBundleEvent[]>;
}

const digest = (c: string): string => `sha256:${c.repeat(64)}`;

export function describeBundleEventsContract(name: string, make: () => Promise<BundleEventsUnderTest>): void {
  describe(`BundleEvents contract: ${name}`, () => {
    it("records activations and rejections in order, with the digests they name", async () => {
      const { events, recorded } = await make();
      const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
      await events.activated({
        digest: digest("a"),
        previousDigest: undefined,
        source: "dir",
        ruleCount: 3,
        at: at(1),
      });
      await events.rejected({
        digest: digest("b"),
        activeDigest: digest("a"),
        source: "dir",
        issues: [{ file: "rules.yaml", line: 4, col: 7, field: "rules[0].when", reason: "does not compile" }],
        at: at(2),
      });
      await events.rejected({
        digest: undefined,
        activeDigest: digest("a"),
        source: "dir",
        issues: [],
        at: at(3),
      });
      await events.activated({
        digest: digest("c"),
        previousDigest: digest("a"),
        source: "dir",
        ruleCount: 4,
        at: at(4),
      });
      expect(await recorded()).toEqual([
        {
          kind: "activated",
          digest: digest("a"),
          previousDigest: undefined,
          ruleCount: 3,
          at: at(1).toISOString(),
        },
        {
          kind: "rejected",
          digest: digest("b"),
          activeDigest: digest("a"),
          issues: [{ file: "rules.yaml", line: 4, field: "rules[0].when", reason: "does not compile" }],
          at: at(2).toISOString(),
        },
        {
          kind: "rejected",
          digest: undefined,
          activeDigest: digest("a"),
          issues: [],
          at: at(3).toISOString(),
        },
        {
          kind: "activated",
          digest: digest("c"),
          previousDigest: digest("a"),
          ruleCount: 4,
          at: at(4).toISOString(),
        },
      ]);
    });
  });
}
