import { describe, expect, it } from "vitest";
import { FIXTURE_BASE } from "../testing/bundle-fixtures.ts";
import {
  FakeBundleEvents,
  FakeDecisionSink,
  FakeStopState,
  FakeUsageView,
} from "../adapters/fakes/fake-ports.ts";
import { createInMemoryBundleSource } from "../adapters/fakes/in-memory-bundle-source.ts";
import type { ActionRequest } from "../domain/action-request.ts";
import { BUILTIN } from "../domain/evaluator.ts";
import { createPolicyService, StopStateUnknownError } from "./policy-service.ts";
import type { PolicyService } from "./policy-service.ts";

const AGENTS = [
  "agents:",
  "  - id: bot",
  "    kind: ai_agent",
  "    riskLevel: low",
  "    capabilities: { dataAccess: read_write, externalMessages: true, codeExecution: false }",
  "    limits: { maxRequestsPerMinute: 3, dailyBudget: 100, currency: USD }",
  "  - id: pipeline",
  "    kind: automation",
  "    riskLevel: medium",
  "    capabilities: { dataAccess: read_write, externalMessages: false, codeExecution: true }",
  "",
].join("\n");
const RULES = "rules:\n  - { id: grant, effect: allow, reason: ok }\n";

async function setup(): Promise<{
  service: PolicyService;
  usage: FakeUsageView;
  sink: FakeDecisionSink;
  source: ReturnType<typeof createInMemoryBundleSource>;
  clock: { now: number };
  stop: FakeStopState;
}> {
  const clock = { now: Date.parse("2026-03-10T10:00:00.000Z") };
  const usage = new FakeUsageView();
  const sink = new FakeDecisionSink();
  const source = createInMemoryBundleSource({ ...FIXTURE_BASE, "agents.yaml": AGENTS, "rules.yaml": RULES });
  const stop = new FakeStopState();
  const service = await createPolicyService({
    source,
    stopState: stop,
    decisions: sink,
    usage,
    bundleEvents: new FakeBundleEvents(),
    clock: () => clock.now,
  });
  return { service, usage, sink, source, clock, stop };
}

let seq = 0;
const ask = (agentId: string, fields: Partial<ActionRequest> = {}): ActionRequest => ({
  actionId: `a${++seq}`,
  agentId,
  action: "pay",
  ...fields,
});

describe("decide with usage limits", () => {
  it("counts each decision at once, so the request after the limit is denied", async () => {
    const { service, usage, clock } = await setup();
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { decision } = await service.decide(ask("bot"), { authenticatedAgentId: "bot" });
      outcomes.push(decision.outcome);
      clock.now += 1_000;
    }
    expect(outcomes).toEqual(["allow", "allow", "allow", "deny"]);
    expect(usage.reads.at(-1)).toEqual({ agentId: "bot", currency: "USD", now: clock.now - 1_000 });
    // The minute slides: 61 s after the first decision, two of the four remain.
    clock.now += 57_000;
    const { decision } = await service.decide(ask("bot"), { authenticatedAgentId: "bot" });
    expect(decision.outcome).toBe("allow");
  });

  it("counts concurrent decisions before any is recorded", async () => {
    const { service } = await setup();
    const all = await Promise.all(
      [1, 2, 3, 4, 5].map(() => service.decide(ask("bot"), { authenticatedAgentId: "bot" })),
    );
    expect(all.map((d) => d.decision.outcome)).toEqual(["allow", "allow", "allow", "deny", "deny"]);
  });

  it("counts other replicas' decisions and a re-delivered request once", async () => {
    const { service, usage, clock } = await setup();
    usage.ledger.fold(
      { key: "decision-of-x", idempotent: true, agentId: "bot", outcome: "deny", at: clock.now },
      "stream",
      clock.now,
    );
    const origin = { authenticatedAgentId: "bot", requestEventId: "e-1" };
    const request = ask("bot");
    await service.decide(request, origin);
    await service.decide(request, origin); // redelivered: same event, same decision id
    expect(usage.ledger.requestsLastMinute("bot", clock.now)).toBe(2);
    expect((await service.decide(ask("bot"), { authenticatedAgentId: "bot" })).decision.outcome).toBe(
      "allow",
    );
    const { decision } = await service.decide(ask("bot"), { authenticatedAgentId: "bot" });
    expect(decision.matched.map((m) => m.ruleId)).toEqual([BUILTIN.rateLimit]);
  });

  it("spends the budget with allowed amounts and denies the one that would exceed it", async () => {
    const { service, clock } = await setup();
    const pay = async (amount: number): Promise<string> => {
      clock.now += 30_000; // stay under the rate limit
      const { decision } = await service.decide(ask("bot", { amount, currency: "USD" }), {
        authenticatedAgentId: "bot",
      });
      return decision.outcome;
    };
    expect([await pay(60), await pay(40), await pay(0.01)]).toEqual(["allow", "allow", "deny"]);
  });

  it("denies limited agents while the usage is unknown, and leaves the others alone", async () => {
    const { service, usage, sink } = await setup();
    usage.unknown = "decision stream not caught up yet";
    const bot = await service.decide(ask("bot"), { authenticatedAgentId: "bot" });
    expect(bot.decision.matched.map((m) => m.ruleId)).toEqual([BUILTIN.usageUnknown]);
    const pipeline = await service.decide(ask("pipeline"), { authenticatedAgentId: "pipeline" });
    expect(pipeline.decision.outcome).toBe("allow");
    expect(sink.decisions).toHaveLength(2);
  });

  it("explain reads the same usage and does not count", async () => {
    const { service, usage, clock } = await setup();
    for (let i = 0; i < 3; i++) await service.decide(ask("bot"), { authenticatedAgentId: "bot" });
    const x = service.explain(ask("bot"), { authenticatedAgentId: "bot" });
    expect(x.decision.matched.map((m) => m.ruleId)).toEqual([BUILTIN.rateLimit]);
    expect(usage.ledger.requestsLastMinute("bot", clock.now)).toBe(3);
  });

  it("records a dry run naming the caller and never counts it; the agent's own decisions count (control)", async () => {
    const { service, usage, sink, clock } = await setup();
    const alice = { type: "human", id: "alice", roles: ["policy-author"] } as const;
    for (let i = 0; i < 5; i++) {
      const { decision } = await service.decide(ask("bot"), { authenticatedAgentId: "bot", dryRunBy: alice });
      expect(decision.outcome).toBe("allow");
    }
    expect(usage.ledger.requestsLastMinute("bot", clock.now)).toBe(0);
    expect(sink.decisions.map((d) => d.origin.dryRunBy)).toEqual([alice, alice, alice, alice, alice]);
    const own = [];
    for (let i = 0; i < 4; i++)
      own.push((await service.decide(ask("bot"), { authenticatedAgentId: "bot" })).decision.outcome);
    expect(own).toEqual(["allow", "allow", "allow", "deny"]);
    expect(usage.ledger.requestsLastMinute("bot", clock.now)).toBe(4);
  });

  it("explainAsDryRun records the explained decision as a dry run before returning, and counts nothing", async () => {
    const { service, usage, sink, clock } = await setup();
    const ann = { type: "human", id: "ann", roles: ["auditor"] } as const;
    const request = ask("bot");
    sink.failNext = new Error("stream down");
    await expect(service.explainAsDryRun(request, { authenticatedAgentId: "bot" }, ann)).rejects.toThrow(
      "stream down",
    );
    const x = await service.explainAsDryRun(request, { authenticatedAgentId: "bot" }, ann);
    expect(x.stop).toEqual({ kind: "clear", epoch: 0 });
    expect(sink.decisions).toEqual([
      { decision: x.decision, request, origin: { authenticatedAgentId: "bot", dryRunBy: ann }, stop: x.stop },
    ]);
    expect(usage.ledger.requestsLastMinute("bot", clock.now)).toBe(0);
  });

  it("tells the usage view which agents are limited, at start and before each swap", async () => {
    const { service, usage, source } = await setup();
    expect(service.status().limitedAgents).toEqual(["bot"]);
    expect(usage.tracked).toEqual([["bot"]]);

    // The pipeline gets a limit: the view hears of it before any decision under the new bundle.
    source.set(
      "agents.yaml",
      AGENTS.replace(
        "codeExecution: true }",
        "codeExecution: true }\n    limits: { maxRequestsPerMinute: 10 }",
      ),
    );
    usage.track = (agentIds) => {
      usage.tracked.push(agentIds);
      expect(service.status().limitedAgents).toEqual(["bot"]); // still the old bundle
    };
    expect((await service.reload()).kind).toBe("activated");
    expect(service.status().limitedAgents).toEqual(["bot", "pipeline"]);
    expect(usage.tracked).toEqual([["bot"], ["bot", "pipeline"]]);

    // Neither an unchanged nor a refused bundle changes what is tracked.
    expect((await service.reload()).kind).toBe("unchanged");
    source.set("agents.yaml", "agents: [");
    expect((await service.reload()).kind).toBe("rejected");
    expect(usage.tracked).toHaveLength(2);
  });
});

describe("decide while the emergency-stop state is unknown", () => {
  const origin = { authenticatedAgentId: "bot", requestEventId: "e-q" };

  it("denies at once by default (a synchronous answer cannot wait)", async () => {
    const { service, stop, sink } = await setup();
    stop.state = { kind: "unknown", reason: "state unreadable: timeout" };
    const { decision } = await service.decide(ask("bot"), origin);
    expect(decision.outcome).toBe("deny");
    expect(decision.matched.map((m) => m.ruleId)).toEqual([BUILTIN.stopUnknown]);
    expect(sink.decisions).toHaveLength(1);
  });

  it("defers a queued request without recording or counting it, and decides it once the state is clear", async () => {
    const { service, stop, sink, usage, clock } = await setup();
    stop.state = { kind: "unknown", reason: "state unreadable: timeout" };
    const request = ask("bot");
    const deferred = service.decide(request, origin, { deferWhileStopUnknown: true });
    await expect(deferred).rejects.toBeInstanceOf(StopStateUnknownError);
    await expect(deferred).rejects.toMatchObject({ reason: "state unreadable: timeout" });
    expect(sink.decisions).toHaveLength(0);
    expect(usage.ledger.requestsLastMinute("bot", clock.now)).toBe(0);

    stop.state = { kind: "clear", epoch: 0 };
    const { decision } = await service.decide(request, origin, { deferWhileStopUnknown: true });
    expect(decision.outcome).toBe("allow");
    expect(sink.decisions).toHaveLength(1);
  });

  it("decides a safety action at once: the unknown state does not deny it", async () => {
    const { service, stop, sink } = await setup();
    stop.state = { kind: "unknown", reason: "not confirmed" };
    const { decision } = await service.decide(
      ask("pipeline", { action: "change.rollback" }),
      {
        authenticatedAgentId: "pipeline",
      },
      { deferWhileStopUnknown: true },
    );
    expect(decision.matched.map((m) => m.ruleId)).not.toContain(BUILTIN.stopUnknown);
    expect(sink.decisions).toHaveLength(1);
  });

  it("names the caller's note in the deny once it stops deferring", async () => {
    const { service, stop, sink } = await setup();
    stop.state = { kind: "unknown", reason: "state unreadable: timeout" };
    const { decision, stop: under } = await service.decide(ask("bot"), origin, {
      stopUnknownNote: "still unknown at delivery 5 of 5",
    });
    expect(decision.outcome).toBe("deny");
    expect(decision.reasons).toEqual([
      "emergency-stop state unknown (state unreadable: timeout; still unknown at delivery 5 of 5); treated as stopped",
    ]);
    expect(under).toEqual({
      kind: "unknown",
      reason: "state unreadable: timeout; still unknown at delivery 5 of 5",
    });
    expect(sink.decisions).toHaveLength(1);
  });
});
