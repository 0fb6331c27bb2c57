// Queued action requests while the emergency-stop state is unknown (issue #12: after a NATS blip the
// consumer gave a final deny to 3,200 of 21,000 queued requests). A queued request is redelivered
// with a delay instead of denied, and decided once the state is confirmed; with a bound of N
// deliveries it is denied on the N-th, the reason saying so. The synchronous answer (request-reply)
// still denies at once. The state is made unknown by writing an unparsable value to the bucket.
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { Subscription } from "@nats-io/transport-node";
import { createPublisher, decodeEnvelope, events, KILLSWITCH_STATE_KEY, requestRpc } from "@warden/messaging";
import type { ActionRequestData, DecisionData, Envelope } from "@warden/messaging";
import { afterEach, describe, expect, it, vi } from "vitest";
import { POLICY_DURABLE } from "../src/transport/nats/action-consumer.ts";
import { present, startPolicyForTest, WAIT } from "./support.ts";

const AGENT = "release-pipeline";

/** A policy service on a namespace of its own, with the decisions it publishes collected by action id. */
async function start(overrides: Record<string, string>) {
  const policy = await startPolicyForTest(overrides);
  const { nc, t } = policy;
  const decisions = new Map<string, Envelope<DecisionData>>();
  const sub: Subscription = nc.subscribe(t.subjects.decisionsOf(AGENT), {
    callback: (_err, msg) => {
      const envelope = decodeEnvelope(msg.data);
      if (envelope.type === events.decisionMade.type)
        decisions.set(envelope.actionId ?? "", envelope as Envelope<DecisionData>);
    },
  });
  const agent = createPublisher(nc, { source: "test-agent" });
  const kv = await new Kvm(nc).open(t.kv.killswitch);
  const jsm = await jetstreamManager(nc);
  let seq = 0;
  const body = (): ActionRequestData => ({
    actionId: `q-${++seq}-${Date.now()}`,
    agentId: AGENT,
    action: "change.deploy",
    changeType: "CHANGE_TYPE_CODE",
    environment: "ENVIRONMENT_DEVELOPMENT",
    versionChange: "VERSION_CHANGE_PATCH",
  });
  const rpc = async (b: ActionRequestData): Promise<DecisionData> =>
    (await requestRpc(
      nc,
      t.rpc.policyEvaluate(AGENT),
      new TextEncoder().encode(JSON.stringify(b)),
    )) as DecisionData;
  return {
    policy,
    decisions,
    body,
    rpc,
    async queue(b: ActionRequestData): Promise<void> {
      await agent.publish(t.subjects.actionRequested(AGENT), events.actionRequested, {
        actionId: b.actionId,
        data: b,
      });
    },
    /** Deliveries the shared consumer has made so far, redeliveries included. */
    async deliveries(): Promise<number> {
      return (await jsm.consumers.info(t.streams.events, POLICY_DURABLE)).delivered.consumer_seq;
    },
    /** Unknown: a value the watcher cannot parse; the RPC path confirms the service sees it. */
    async makeStateUnknown(): Promise<void> {
      await kv.put(KILLSWITCH_STATE_KEY, "{not json");
      await vi.waitFor(async () => {
        const d = await rpc(body());
        return present(
          d.matchedRules?.some((r) => r.ruleId === "killswitch.unknown") === true ? d : undefined,
          "the service to see the state unknown",
        );
      }, WAIT);
    },
    async clearState(): Promise<void> {
      await kv.put(KILLSWITCH_STATE_KEY, JSON.stringify({ epoch: 2, active: false, scopes: [] }));
    },
    async stop(): Promise<void> {
      sub.unsubscribe();
      await policy.stop();
    },
  };
}

type Started = Awaited<ReturnType<typeof start>>;
let started: Started | undefined;
afterEach(async () => {
  await started?.stop();
  started = undefined;
});

/** Decides `b` over request-reply and waits for its decision event: every decision published before it has arrived too. */
async function barrier(s: Started): Promise<void> {
  const marker = s.body();
  await s.rpc(marker);
  await vi.waitFor(() => present(s.decisions.get(marker.actionId), "the marker's decision event"), WAIT);
}

describe("a queued request while the stop state is unknown", () => {
  it("is redelivered, not denied, and decided allow once the state is confirmed clear", async () => {
    started = await start({
      POLICY_UNKNOWN_STOP_RETRY_DELAY: "200ms",
      POLICY_UNKNOWN_STOP_MAX_DELIVERIES: "1000",
    });
    const s = started;
    await s.makeStateUnknown();
    // The synchronous path stays as it was: denied at once.
    expect((await s.rpc(s.body())).outcome).toBe("OUTCOME_DENY");

    const before = await s.deliveries();
    const queued = s.body();
    await s.queue(queued);
    // Delivered three times: the first two deliveries were neither acked nor terminated.
    await expect
      .poll(() => s.deliveries(), { timeout: 10_000, interval: 50 })
      .toBeGreaterThanOrEqual(before + 3);
    // No decision was published for it (the marker's decision comes after any earlier one).
    await barrier(s);
    expect(s.decisions.get(queued.actionId)).toBeUndefined();

    await s.clearState();
    const decision = await vi.waitFor(
      () => present(s.decisions.get(queued.actionId), "the queued request's decision"),
      WAIT,
    );
    expect(decision.data.outcome).toBe("OUTCOME_ALLOW");
    expect(decision.data.matchedRules?.map((r) => r.ruleId)).toContain("matrix.code.development.patch");
  });

  it("is denied on the N-th delivery when the state stays unknown, the reason saying the bound is spent", async () => {
    started = await start({
      POLICY_UNKNOWN_STOP_RETRY_DELAY: "100ms",
      POLICY_UNKNOWN_STOP_MAX_DELIVERIES: "3",
    });
    const s = started;
    await s.makeStateUnknown();
    const before = await s.deliveries();
    const queued = s.body();
    await s.queue(queued);
    const decision = await vi.waitFor(
      () => present(s.decisions.get(queued.actionId), "the deny after the bound"),
      WAIT,
    );
    expect(decision.data.outcome).toBe("OUTCOME_DENY");
    const unknown = decision.data.matchedRules?.find((r) => r.ruleId === "killswitch.unknown");
    expect(unknown?.reason).toMatch(
      /^emergency-stop state unknown \(state is not JSON; still unknown at delivery 3 of this queued request, redelivered every 100 ms: retry bound spent\)/,
    );
    // Exactly three deliveries, the last one acked: nothing is redelivered after the deny.
    await barrier(s);
    expect((await s.deliveries()) - before).toBe(3);
    const info = await (
      await jetstreamManager(s.policy.nc)
    ).consumers.info(s.policy.t.streams.events, POLICY_DURABLE);
    expect(info.num_ack_pending).toBe(0);
  });

  it("control: with a bound of 1 (the old behaviour) it is denied on its first delivery", async () => {
    started = await start({ POLICY_UNKNOWN_STOP_MAX_DELIVERIES: "1" });
    const s = started;
    await s.makeStateUnknown();
    const before = await s.deliveries();
    const queued = s.body();
    await s.queue(queued);
    const decision = await vi.waitFor(() => present(s.decisions.get(queued.actionId), "the deny"), WAIT);
    expect(decision.data.outcome).toBe("OUTCOME_DENY");
    expect(decision.data.matchedRules?.find((r) => r.ruleId === "killswitch.unknown")?.reason).toBe(
      "emergency-stop state unknown (state is not JSON); treated as stopped",
    );
    await barrier(s);
    expect((await s.deliveries()) - before).toBe(1);
  });
});
