// Group commit (POLICY_DECISION_RECORDS=group) through the policy service's decide, over a sink whose
// acks the test releases one at a time: records made while a group is written go out together after
// it, each answer waits for its own record's ack, a refused record fails only its own decision.
import { describe, expect, it } from "vitest";
import { FIXTURE_BASE } from "../testing/bundle-fixtures.ts";
import {
  FakeBundleEvents,
  FakeStopState,
  FakeUsageView,
  GatedDecisionSink,
} from "../adapters/fakes/fake-ports.ts";
import { createInMemoryBundleSource } from "../adapters/fakes/in-memory-bundle-source.ts";
import type { DecisionSink } from "./ports.ts";
import { groupCommit } from "./group-commit.ts";
import { createPolicyService } from "./policy-service.ts";
import type { PolicyService } from "./policy-service.ts";

const AGENTS = [
  "agents:",
  "  - id: pipeline",
  "    kind: automation",
  "    riskLevel: medium",
  "    capabilities: { dataAccess: read_write, externalMessages: false, codeExecution: true }",
  "",
].join("\n");
const RULES = "rules:\n  - { id: grant, effect: allow, reason: ok }\n";

async function serviceOver(decisions: DecisionSink): Promise<PolicyService> {
  return createPolicyService({
    source: createInMemoryBundleSource({ ...FIXTURE_BASE, "agents.yaml": AGENTS, "rules.yaml": RULES }),
    stopState: new FakeStopState(),
    decisions,
    usage: new FakeUsageView(),
    bundleEvents: new FakeBundleEvents(),
    clock: () => Date.parse("2026-03-10T10:00:00.000Z"),
  });
}

/** Every promise callback that can run now has run (the fakes involve no timers). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Decides `id` and appends answered:<id> / refused:<id> to the sink's log when the caller hears. */
function ask(service: PolicyService, sink: GatedDecisionSink, id: string): Promise<unknown> {
  return service
    .decide({ actionId: id, agentId: "pipeline", action: "deploy" }, { authenticatedAgentId: "pipeline" })
    .then(
      (r) => {
        sink.log.push(`answered:${id}`);
        return r;
      },
      (err: unknown) => {
        sink.log.push(`refused:${id}`);
        throw err;
      },
    );
}

/** Ids answered before their record was acknowledged (what must never happen). */
function answeredEarly(log: readonly string[]): string[] {
  return log
    .filter((e) => e.startsWith("answered:"))
    .map((e) => e.slice("answered:".length))
    .filter((id) => {
      const acked = log.indexOf(`acked:${id}`);
      return acked === -1 || acked > log.indexOf(`answered:${id}`);
    });
}

describe("group commit of decision records", () => {
  it("writes a record at once when nothing is in flight; the ones made meanwhile go out together after it", async () => {
    const sink = new GatedDecisionSink();
    const groups: number[] = [];
    const service = await serviceOver(groupCommit(sink, { onGroup: (n) => groups.push(n) }));
    const first = ask(service, sink, "g1");
    await settle();
    expect(sink.log).toEqual(["written:g1"]);
    const rest = ["g2", "g3", "g4", "g5"].map((id) => ask(service, sink, id));
    await settle();
    // Held while g1 is written; nobody answered yet.
    expect(sink.log).toEqual(["written:g1"]);

    sink.ack("g1");
    await first;
    await settle();
    // g1's answer and the next group's writes both follow g1's ack (in either order: the group goes
    // out as soon as the ack arrives, the answer travels up decide's own promise chain).
    expect(sink.log.slice(0, 2)).toEqual(["written:g1", "acked:g1"]);
    expect([...sink.log.slice(2)].sort()).toEqual(
      ["answered:g1", "written:g2", "written:g3", "written:g4", "written:g5"].sort(),
    );
    expect(groups).toEqual([1, 4]);

    for (const id of ["g2", "g3", "g4", "g5"]) sink.ack(id);
    await Promise.all(rest);
    expect(answeredEarly(sink.log)).toEqual([]);
    expect(sink.log.filter((e) => e.startsWith("answered:"))).toHaveLength(5);
  });

  it("answers each decision of a group only after its own record's ack, not the group's first", async () => {
    const sink = new GatedDecisionSink();
    const service = await serviceOver(groupCommit(sink));
    const head = ask(service, sink, "h0");
    const group = ["h1", "h2", "h3"].map((id) => ask(service, sink, id));
    sink.ack("h0");
    await head;
    await settle();
    expect(sink.open).toEqual(["h1", "h2", "h3"]);

    sink.ack("h3");
    await group[2];
    await settle();
    // Sentinel: h3's answer arrived, and h1 and h2 — still unacknowledged — are not answered.
    expect(sink.log.filter((e) => e.startsWith("answered:"))).toEqual(["answered:h0", "answered:h3"]);

    sink.ack("h1");
    sink.ack("h2");
    await Promise.all(group);
    expect(answeredEarly(sink.log)).toEqual([]);
  });

  it("a record the stream refuses fails only its own decision (fail closed); the rest of its group is answered", async () => {
    const sink = new GatedDecisionSink();
    const service = await serviceOver(groupCommit(sink));
    const head = ask(service, sink, "f0");
    const group = ["f1", "f2", "f3"].map((id) => ask(service, sink, id));
    sink.ack("f0");
    await head;
    await settle();
    sink.ack("f1");
    sink.fail("f2", new Error("stream refused the record: maximum messages exceeded"));
    sink.ack("f3");
    const outcomes = await Promise.allSettled(group);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(
      new Error("stream refused the record: maximum messages exceeded"),
    );
    expect(sink.log).toContain("refused:f2");
    expect(sink.log).not.toContain("answered:f2");
    expect(answeredEarly(sink.log)).toEqual([]);

    // The next decision after a failed group still goes out (the committer is not stuck).
    const after = ask(service, sink, "f4");
    await settle();
    expect(sink.open).toEqual(["f4"]);
    sink.ack("f4");
    await after;
  });

  it("sends at most maxGroup records at once; the rest wait for the next group", async () => {
    const sink = new GatedDecisionSink();
    const groups: number[] = [];
    const service = await serviceOver(groupCommit(sink, { maxGroup: 2, onGroup: (n) => groups.push(n) }));
    const all = ["m0", "m1", "m2", "m3", "m4"].map((id) => ask(service, sink, id));
    await settle();
    for (let round = 0; sink.open.length > 0; round++) {
      for (const id of sink.open) sink.ack(id);
      await settle();
      expect(round).toBeLessThan(5);
    }
    await Promise.all(all);
    expect(groups).toEqual([1, 2, 2]);
    expect(answeredEarly(sink.log)).toEqual([]);
  });

  it("control: the same check catches a sink that answers before the record is acknowledged", async () => {
    const sink = new GatedDecisionSink();
    const answerFirst: DecisionSink = {
      decided(decision, request, origin, stop) {
        void sink.decided(decision, request, origin, stop).catch(() => undefined);
        return Promise.resolve();
      },
    };
    const service = await serviceOver(answerFirst);
    await Promise.all(["c1", "c2"].map((id) => ask(service, sink, id)));
    sink.ack("c1");
    expect(answeredEarly(sink.log)).toEqual(["c1", "c2"]);
  });

  it("refuses a maxGroup below 1", () => {
    expect(() => groupCommit(new GatedDecisionSink(), { maxGroup: 0 })).toThrow(/maxGroup: 0/);
  });
});
