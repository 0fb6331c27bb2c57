import { describe, expect, it } from "vitest";
import type { Outcome } from "./decision.ts";
import type { UsageFact } from "./usage-ledger.ts";
import { UsageLedger } from "./usage-ledger.ts";

const T0 = Date.parse("2026-03-10T10:00:00.000Z");
let n = 0;

function fact(at: number, fields: Partial<UsageFact> = {}): UsageFact {
  n += 1;
  return { key: `k${n}`, idempotent: true, agentId: "cs", outcome: "allow", at, ...fields };
}

describe("sliding minute", () => {
  it("counts the 60 whole seconds ending with the current one", () => {
    const ledger = new UsageLedger();
    ledger.fold(fact(T0 + 100), "stream", T0);
    ledger.fold(fact(T0 + 30_000), "stream", T0);
    ledger.fold(fact(T0 + 59_900), "stream", T0);
    expect(ledger.requestsLastMinute("cs", T0 + 59_999)).toBe(3);
    // At T0+60 s the second T0 falls out; T0+30 s and T0+59.9 s stay.
    expect(ledger.requestsLastMinute("cs", T0 + 60_000)).toBe(2);
    expect(ledger.requestsLastMinute("cs", T0 + 89_999)).toBe(2);
    expect(ledger.requestsLastMinute("cs", T0 + 90_000)).toBe(1);
    expect(ledger.requestsLastMinute("cs", T0 + 118_999)).toBe(1);
    expect(ledger.requestsLastMinute("cs", T0 + 119_000)).toBe(0);
    expect(ledger.requestsLastMinute("someone-else", T0 + 1_000)).toBe(0);
  });

  it("reuses a bucket a minute later without keeping the old count", () => {
    const ledger = new UsageLedger();
    for (let i = 0; i < 5; i++) ledger.fold(fact(T0 + 5_000), "stream", T0);
    ledger.fold(fact(T0 + 65_000), "stream", T0); // same bucket (second mod 60), one minute on
    expect(ledger.requestsLastMinute("cs", T0 + 65_000)).toBe(1);
    // A decision older than the minute the bucket now holds cannot land in it.
    ledger.fold(fact(T0 + 5_500), "stream", T0);
    expect(ledger.requestsLastMinute("cs", T0 + 65_000)).toBe(1);
  });

  it("counts decisions stamped ahead of the reader's clock and ignores old ones", () => {
    const ledger = new UsageLedger();
    ledger.fold(fact(T0 + 2_000), "stream", T0); // another replica's clock is 2 s ahead
    ledger.fold(fact(T0 - 61_000), "stream", T0); // replayed from earlier
    expect(ledger.requestsLastMinute("cs", T0)).toBe(1);
  });

  it("counts every outcome as a request", () => {
    const ledger = new UsageLedger();
    for (const outcome of ["allow", "deny", "approval_required"] as Outcome[])
      ledger.fold(fact(T0, { outcome }), "stream", T0);
    expect(ledger.requestsLastMinute("cs", T0)).toBe(3);
  });
});

describe("daily budget", () => {
  it("sums allow and approval_required amounts per UTC day, not denies", () => {
    const ledger = new UsageLedger();
    ledger.fold(fact(T0, { amount: 100, currency: "USD" }), "stream", T0);
    ledger.fold(fact(T0, { amount: 250, currency: "USD", outcome: "approval_required" }), "stream", T0);
    ledger.fold(fact(T0, { amount: 1_000, currency: "USD", outcome: "deny" }), "stream", T0);
    ledger.fold(fact(T0), "stream", T0); // no amount
    expect(ledger.committedToday("cs", "USD", T0)).toBe(350);
  });

  it("starts again at 00:00 UTC", () => {
    const ledger = new UsageLedger();
    const midnight = Date.parse("2026-03-11T00:00:00.000Z");
    ledger.fold(fact(midnight - 1, { amount: 40, currency: "USD" }), "stream", T0);
    ledger.fold(fact(midnight, { amount: 2, currency: "USD" }), "stream", T0);
    expect(ledger.committedToday("cs", "USD", midnight - 1)).toBe(40);
    expect(ledger.committedToday("cs", "USD", midnight)).toBe(2);
    expect(ledger.committedToday("cs", "USD", midnight + 86_400_000)).toBe(0);
  });

  it("keeps currencies apart; an amount without one counts in any; undefined sums them all", () => {
    const ledger = new UsageLedger();
    ledger.fold(fact(T0, { amount: 10, currency: "USD" }), "stream", T0);
    ledger.fold(fact(T0, { amount: 7, currency: "EUR" }), "stream", T0);
    ledger.fold(fact(T0, { amount: 1 }), "stream", T0);
    expect(ledger.committedToday("cs", "USD", T0)).toBe(11);
    expect(ledger.committedToday("cs", "EUR", T0)).toBe(8);
    expect(ledger.committedToday("cs", undefined, T0)).toBe(18);
  });

  it("adds cents exactly", () => {
    const ledger = new UsageLedger();
    ledger.fold(fact(T0, { amount: 0.1 }), "stream", T0);
    ledger.fold(fact(T0, { amount: 0.2 }), "stream", T0);
    expect(ledger.committedToday("cs", undefined, T0)).toBe(0.3);
  });
});

describe("de-duplication of this replica's own decisions", () => {
  it("counts an answer to a request event once, whichever copy comes first and however often", () => {
    const ledger = new UsageLedger();
    const decided = fact(T0, { key: "decision-of-e1", idempotent: true, amount: 5 });
    expect(ledger.fold(decided, "local", T0)).toBe(true);
    expect(ledger.fold(decided, "local", T0)).toBe(false); // re-delivered request, decided again
    expect(ledger.fold(decided, "stream", T0)).toBe(false); // its copy from the stream
    const other = fact(T0, { key: "decision-of-e2", idempotent: true });
    expect(ledger.fold(other, "stream", T0)).toBe(true); // another replica's first
    expect(ledger.fold(other, "local", T0)).toBe(false);
    expect(ledger.requestsLastMinute("cs", T0)).toBe(2);
    expect(ledger.committedToday("cs", undefined, T0)).toBe(5);
  });

  it("matches each local fold of a described decision with one stream copy", () => {
    const ledger = new UsageLedger();
    const d = fact(T0, { key: "cs|act-1|2026-03-10T10:00:00.000Z|allow", idempotent: false });
    // Two RPC decisions that happen to describe alike (same action id, same millisecond): both count.
    expect(ledger.fold(d, "local", T0)).toBe(true);
    expect(ledger.fold(d, "local", T0)).toBe(true);
    expect(ledger.fold(d, "stream", T0)).toBe(false);
    expect(ledger.fold(d, "stream", T0)).toBe(false);
    // A third copy in the stream is someone else's decision.
    expect(ledger.fold(d, "stream", T0)).toBe(true);
    expect(ledger.requestsLastMinute("cs", T0)).toBe(3);
    expect(ledger.sizes.keys).toBe(0);
  });

  it("forgets keys after the TTL and agents idle since before yesterday", () => {
    const ledger = new UsageLedger({ keyTtlMs: 60_000 });
    ledger.fold(fact(T0, { key: "decision-of-e9", idempotent: true }), "local", T0);
    ledger.prune(T0 + 60_001);
    expect(ledger.sizes).toEqual({ agents: 1, keys: 0 });
    // A copy arriving that late is counted again: over-counting is the safe side.
    expect(ledger.fold(fact(T0, { key: "decision-of-e9", idempotent: true }), "stream", T0)).toBe(true);
    ledger.prune(T0 + 2 * 86_400_000);
    expect(ledger.sizes.agents).toBe(0);
  });
});
