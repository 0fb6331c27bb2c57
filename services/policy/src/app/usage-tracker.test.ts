// The swap logic of the usage view without NATS: which consumer counts which agents, catch-up and
// lease, and that a decision counts once across a swap (an in-memory stream and fake consumers).
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { UsageFact } from "../domain/usage-ledger.ts";
import type { FeedTarget, OpenFeed } from "./usage-tracker.ts";
import { UsageFeed, UsageTracker } from "./usage-tracker.ts";

describe("UsageFeed (lease)", () => {
  it("is unknown until caught up, then confirmed while alive within the lease", async () => {
    let t = 0;
    const feed = new UsageFeed(5_000, () => t);
    const waiting = feed.whenCaughtUp();
    feed.alive();
    expect(feed.state()).toEqual({ state: "unknown", reason: "decision stream not caught up yet" });
    t = 100;
    feed.caughtUp();
    await waiting;
    expect(feed.state()).toEqual({ state: "confirmed" });
    t = 5_100;
    expect(feed.state()).toEqual({ state: "confirmed" });
    t = 5_101;
    expect(feed.state()).toEqual({
      state: "unknown",
      reason: "decision stream not confirmed for 5000 ms",
    });
    feed.alive(); // a heartbeat after the stall: confirmed again (still caught up)
    expect(feed.state()).toEqual({ state: "confirmed" });
  });

  it("must catch up again after the consumer was recreated", () => {
    const t = 0;
    const feed = new UsageFeed(5_000, () => t);
    feed.caughtUp();
    feed.fellBehind("consumer recreated (reset)");
    feed.alive();
    expect(feed.state()).toEqual({
      state: "unknown",
      reason: "decision stream consumer recreated (reset)",
    });
    feed.caughtUp();
    expect(feed.state()).toEqual({ state: "confirmed" });
  });
});

describe("UsageTracker", () => {
  const log = pino({ enabled: false });
  const AT = Date.parse("2026-03-10T10:00:00.000Z");
  const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  interface Opened {
    readonly agents: readonly string[];
    readonly into: FeedTarget;
    closed: boolean;
  }

  /** A decision stream in memory: what was published, and the consumers opened on it. */
  function setup(options: { failures?: number } = {}) {
    const stream: UsageFact[] = [];
    const opened: Opened[] = [];
    let failures = options.failures ?? 0;
    const open: OpenFeed = (agents, into) => {
      if (failures > 0) {
        failures--;
        return Promise.reject(new Error("no responders"));
      }
      const consumer: Opened = { agents, into, closed: false };
      opened.push(consumer);
      return Promise.resolve({
        close: () => {
          consumer.closed = true;
          return Promise.resolve();
        },
      });
    };
    const tracker = new UsageTracker({ open, log, leaseMs: 5_000, now: () => AT, retryMs: 5 });
    let seq = 0;
    /** A decision this replica makes: counted locally (if tracked) and published. */
    const decide = (agentId: string, idempotent = false): UsageFact => {
      seq++;
      const fact: UsageFact = {
        key: idempotent ? `decision-of-e${seq}` : `${agentId}/a${seq}`,
        idempotent,
        agentId,
        outcome: "allow",
        at: AT,
      };
      if (tracker.counts(agentId)) tracker.foldLocal(fact);
      stream.push(fact);
      return fact;
    };
    /** Delivers to a consumer the stream's decisions about its agents from `offset` on, then caught up. */
    const deliver = (consumer: Opened, offset = 0): void => {
      for (const fact of stream.slice(offset))
        if (consumer.agents.includes(fact.agentId)) consumer.into.ledger.fold(fact, "stream", AT);
      consumer.into.feed.caughtUp();
    };
    const count = (agentId: string): number | string => {
      const u = tracker.current(agentId, undefined, AT);
      return u.state === "confirmed" ? u.requestsLastMinute : u.reason;
    };
    return { tracker, stream, opened, decide, deliver, count };
  }

  it("opens one consumer for the limited agents and confirms once it has caught up", async () => {
    const { tracker, opened, decide, deliver, count } = setup();
    tracker.track(["customer-support", "bot", "bot"]);
    expect(opened.map((c) => c.agents)).toEqual([["bot", "customer-support"]]);
    expect(count("bot")).toBe("decision stream not caught up yet");
    expect(tracker.status()).toEqual({ state: "unknown", reason: "decision stream not caught up yet" });
    expect(await tracker.caughtUp(10)).toBe(false);

    decide("bot");
    decide("pipeline"); // not limited: not counted, its copy never delivered
    const [consumer] = opened;
    if (consumer === undefined) throw new Error("no consumer");
    deliver(consumer);
    expect(await tracker.caughtUp(1_000)).toBe(true);
    expect(tracker.status()).toEqual({ state: "confirmed" });
    expect(tracker.agents()).toEqual(["bot", "customer-support"]);
    expect(count("bot")).toBe(1); // the local count absorbed its stream copy
    expect(tracker.folded()).toBe(1);
    expect(tracker.counts("pipeline")).toBe(false);
    expect(count("pipeline")).toMatch(/not counted/);
    // The same set again changes nothing.
    tracker.track(["bot", "customer-support"]);
    expect(opened).toHaveLength(1);
  });

  it("with no limited agent: no consumer, confirmed, nothing counted", async () => {
    const { tracker, opened, decide, count } = setup();
    tracker.track([]);
    expect(await tracker.caughtUp(0)).toBe(true);
    expect(opened).toHaveLength(0);
    expect(tracker.status()).toEqual({ state: "confirmed" });
    decide("pipeline");
    expect(tracker.folded()).toBe(0);
    expect(count("pipeline")).toMatch(/not counted/);
  });

  it("swaps in a consumer for a new set once caught up; agents already limited stay confirmed meanwhile, each decision counts once", async () => {
    const { tracker, opened, decide, deliver, count } = setup();
    tracker.track(["bot"]);
    const old = opened[0];
    if (old === undefined) throw new Error("no consumer");
    deliver(old);
    await tracker.caughtUp(1_000);
    decide("bot"); // counted locally by the old generation
    decide("pipeline", true); // not limited yet: only in the stream
    deliver(old, 0);
    expect(count("bot")).toBe(1);

    // A reload limits the pipeline too.
    tracker.track(["bot", "pipeline"]);
    const next = opened[1];
    if (next === undefined) throw new Error("no new consumer");
    expect(next.agents).toEqual(["bot", "pipeline"]);
    expect(count("bot")).toBe(1); // the old count, still confirmed
    expect(count("pipeline")).toMatch(/not caught up yet with the bundle that limits the agent/);
    expect(tracker.status()).toEqual({ state: "confirmed" });

    // Decisions during the catch-up: counted locally by every generation that counts the agent.
    decide("bot", true);
    decide("pipeline");
    deliver(old, 2);
    expect(count("bot")).toBe(2);
    expect(old.closed).toBe(false);
    expect(await tracker.caughtUp(10)).toBe(false);

    // The new consumer replays the day: the decisions from before it existed count from the
    // stream, the later ones were counted locally and their copies are absorbed.
    deliver(next);
    expect(await tracker.caughtUp(1_000)).toBe(true);
    expect(old.closed).toBe(true);
    expect(tracker.agents()).toEqual(["bot", "pipeline"]);
    expect(count("bot")).toBe(2);
    expect(count("pipeline")).toBe(2);
    expect(tracker.folded()).toBe(4);
    deliver(next, 4); // nothing new: still once each
    expect(count("bot")).toBe(2);
  });

  it("closes a consumer still catching up when the set changes again, and keeps the active one when it comes back", async () => {
    const { tracker, opened, deliver, count } = setup();
    tracker.track(["a"]);
    const first = opened[0];
    if (first === undefined) throw new Error("no consumer");
    deliver(first);
    await tracker.caughtUp(1_000);

    tracker.track(["a", "b"]);
    tracker.track(["a", "c"]);
    await flush();
    expect(opened.map((c) => [c.agents, c.closed])).toEqual([
      [["a"], false],
      [["a", "b"], true],
      [["a", "c"], false],
    ]);
    tracker.track(["a"]);
    await flush();
    expect(opened.map((c) => c.closed)).toEqual([false, true, true]);
    expect(await tracker.caughtUp(0)).toBe(true);
    // A late catch-up of an abandoned consumer swaps nothing in.
    const abandoned = opened[2];
    if (abandoned === undefined) throw new Error("no consumer");
    deliver(abandoned);
    await flush();
    expect(tracker.agents()).toEqual(["a"]);
    expect(count("c")).toMatch(/not counted/);
    expect(first.closed).toBe(false);
  });

  it("drops the consumer at once when no agent is limited any more", async () => {
    const { tracker, opened, deliver } = setup();
    tracker.track(["a"]);
    const first = opened[0];
    if (first === undefined) throw new Error("no consumer");
    deliver(first);
    await tracker.caughtUp(1_000);
    tracker.track([]);
    await flush();
    expect(first.closed).toBe(true);
    expect(tracker.status()).toEqual({ state: "confirmed" });
    expect(tracker.agents()).toEqual([]);
  });

  it("retries a consumer that could not be created, keeping what it counted locally", async () => {
    const { tracker, opened, decide, deliver, count } = setup({ failures: 2 });
    tracker.track(["bot"]);
    decide("bot", true);
    expect(opened).toHaveLength(0);
    await until(() => opened.length === 1);
    const consumer = opened[0];
    if (consumer === undefined) throw new Error("no consumer");
    deliver(consumer);
    expect(await tracker.caughtUp(1_000)).toBe(true);
    expect(count("bot")).toBe(1);
  });

  it("closes a consumer created after it was no longer wanted, and every consumer on close", async () => {
    const closed: string[] = [];
    let release: (() => void) | undefined;
    const open: OpenFeed = (agents) => {
      const subscription = {
        close: () => {
          closed.push(agents.join());
          return Promise.resolve();
        },
      };
      if (agents.includes("slow"))
        return new Promise((resolve) => {
          release = () => resolve(subscription);
        });
      return Promise.resolve(subscription);
    };
    const tracker = new UsageTracker({ open, log, leaseMs: 5_000, now: () => AT });
    tracker.track(["slow"]);
    tracker.track(["a"]);
    release?.();
    await flush();
    expect(closed).toEqual(["slow"]);
    tracker.track(["b"]);
    await flush();
    await tracker.close();
    expect(closed.sort()).toEqual(["a", "b", "slow"]);
    expect(tracker.status().state).toBe("unknown");
  });
});

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
