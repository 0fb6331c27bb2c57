import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { events as wardenEvents } from "@warden/messaging";
import type { ActionRequestData } from "@warden/messaging";
import { describe, expect, it } from "vitest";
import { createInMemoryEvents } from "../adapters/fakes/in-memory-events.ts";
import { createInMemoryStopStore } from "../adapters/fakes/in-memory-stop-store.ts";
import type { Person } from "../domain/stop-record.ts";
import { createKillSwitchService } from "./kill-switch-service.ts";
import type { ReEnableApprovals } from "./ports.ts";
import { createReEnabler } from "./re-enable.ts";

const oncall: Person = { id: "olga", type: "human", roles: ["on-call-engineer"] };
const eng: Person = { id: "erin", type: "human", roles: ["engineering-lead"] };
const sec: Person = { id: "sam", type: "human", roles: ["security-lead"] };
const viewer: Person = { id: "vic", type: "human", roles: ["viewer"] };
const review = { reviewRef: "INC-2026-017", rootCause: "refund loop", prevention: "idempotency key" };
const bot = { kind: "agent", value: "refund-bot" } as const;

/** The approval side as a script: what consume answers is set per test. */
function scriptedApprovals() {
  const requested: ActionRequestData[] = [];
  const consumed: { actionId: string; requestDigest: string }[] = [];
  let answer: { consumed: boolean; refusal?: string; message: string } = { consumed: true, message: "ok" };
  const approvals: ReEnableApprovals = {
    request: (r) => {
      requested.push(r);
      return Promise.resolve();
    },
    consume: (actionId, requestDigest) => {
      consumed.push({ actionId, requestDigest });
      return Promise.resolve(answer);
    },
  };
  return { approvals, requested, consumed, answer: (a: typeof answer) => (answer = a) };
}

/** An agent-scoped stop on refund-bot, lifted by two people without re-enabling the bot. */
async function disabledBot() {
  const store = createInMemoryStopStore();
  const events = createInMemoryEvents();
  const clock = () => new Date("2026-12-03T10:00:00Z");
  const service = createKillSwitchService({ store, events, acks: events, clock });
  await service.activate(oncall, { scopes: [bot], reason: "refund loop" });
  const lift = { epoch: 1, scopes: [bot], reEnableAgents: [], ...review };
  await service.deactivate(eng, lift);
  await service.deactivate(sec, lift);
  const script = scriptedApprovals();
  const reEnabler = createReEnabler({
    store,
    events,
    approvals: script.approvals,
    roles: ["on-call-engineer", "engineering-lead"],
    clock,
  });
  return { store, events, service, reEnabler, ...script };
}

describe("asking to re-enable an agent", () => {
  it("publishes the kill switch's own agent.reenable request, bound by digest, on the asker's behalf", async () => {
    const { reEnabler, requested, store } = await disabledBot();
    expect((await store.get(bot))?.value).toMatchObject({ active: false, needsReEnabling: true });
    const { actionId } = await reEnabler.request(oncall, { agentId: "refund-bot", reason: "fixed in 4.2.1" });
    expect(actionId).toMatch(/^reenable-refund-bot-/);
    expect(requested).toEqual([
      expect.objectContaining({
        actionId,
        agentId: "kill-switch",
        action: "agent.reenable",
        target: "agent/refund-bot",
        reason: "fixed in 4.2.1",
        requestedBy: { type: "ACTOR_TYPE_HUMAN", id: "olga", roles: ["on-call-engineer"] },
      }),
    ]);
    const pending = await store.getReEnable(actionId);
    const parsed = wardenEvents.actionRequested.data.parse(requested[0]);
    const digest = `sha256:${createHash("sha256")
      .update(canonicalize(parsed) ?? "")
      .digest("hex")}`;
    expect(pending).toMatchObject({ agentId: "refund-bot", requestDigest: digest });
  });

  it("refuses a wrong role, missing fields, an agent not disabled and a stop still active — each an event", async () => {
    const { reEnabler, events, service } = await disabledBot();
    await expect(reEnabler.request(viewer, { agentId: "refund-bot", reason: "x" })).rejects.toThrow(
      "asking to re-enable an agent needs one of the roles on-call-engineer, engineering-lead; vic holds viewer",
    );
    await expect(reEnabler.request(oncall, { agentId: "", reason: " " })).rejects.toThrow(
      /agentId: required.*reason: required: why the agent may act again/,
    );
    await expect(reEnabler.request(oncall, { agentId: "other-bot", reason: "x" })).rejects.toThrow(
      "agent other-bot is not disabled by a stop",
    );
    await service.activate(oncall, { scopes: [{ kind: "agent", value: "loop-bot" }], reason: "loop" });
    await expect(reEnabler.request(oncall, { agentId: "loop-bot", reason: "x" })).rejects.toThrow(
      "agent loop-bot's stop is still active: lift it first (two-person Deactivate)",
    );
    const refusals = events.recorded.flatMap((e) =>
      e.type === "refused" && e.refusal.operation === "reenable" ? [e.refusal.person?.id] : [],
    );
    expect(refusals).toEqual(["vic", "olga", "olga", "olga"]);
  });
});

describe("completing a re-enable", () => {
  it("an approved verdict consumes the approval once and clears the agent at a new epoch (an event)", async () => {
    const { reEnabler, store, events, consumed } = await disabledBot();
    const { actionId } = await reEnabler.request(oncall, { agentId: "refund-bot", reason: "fixed" });
    const pendingDigest = (await store.getReEnable(actionId))?.requestDigest;
    const before = (await store.get(bot))?.value.epoch ?? 0;
    const outcome = await reEnabler.complete(actionId, "proceed");
    expect(outcome).toEqual({ state: "re_enabled", epoch: before + 1 });
    expect(consumed).toEqual([{ actionId, requestDigest: pendingDigest }]);
    expect((await store.get(bot))?.value).toMatchObject({
      active: false,
      needsReEnabling: false,
      epoch: before + 1,
      reEnabled: { actionId, requestedBy: { id: "olga" } },
    });
    expect(await store.getReEnable(actionId)).toBeUndefined();
    expect(events.recorded.at(-1)).toMatchObject({
      type: "reenabled",
      event: { agentId: "refund-bot", actionId, epoch: before + 1 },
    });
    // The same verdict again (redelivered) changes nothing: the pending re-enable is gone.
    expect(await reEnabler.complete(actionId, "proceed")).toBeUndefined();
    expect(consumed).toHaveLength(1);
  });

  it("a rejected verdict, or an approval that can never be used, ends it — the agent stays disabled", async () => {
    const { reEnabler, store, answer } = await disabledBot();
    const rejected = await reEnabler.request(oncall, { agentId: "refund-bot", reason: "fixed" });
    expect(await reEnabler.complete(rejected.actionId, "abort")).toMatchObject({ state: "ended" });
    const stale = await reEnabler.request(oncall, { agentId: "refund-bot", reason: "fixed" });
    answer({ consumed: false, refusal: "epoch_changed", message: "the stop state changed" });
    expect(await reEnabler.complete(stale.actionId, "proceed")).toEqual({
      state: "ended",
      message: "approval not usable (epoch_changed): the stop state changed",
    });
    expect(await store.listReEnables()).toEqual([]);
    expect((await store.get(bot))?.value.needsReEnabling).toBe(true);
  });

  it("an approval not granted yet leaves it pending; a later sweep completes it (a missed verdict)", async () => {
    const { reEnabler, store, answer } = await disabledBot();
    const { actionId } = await reEnabler.request(oncall, { agentId: "refund-bot", reason: "fixed" });
    answer({ consumed: false, refusal: "not_approved", message: "approval is pending, not approved" });
    await reEnabler.sweep();
    expect((await store.getReEnable(actionId))?.actionId).toBe(actionId);
    expect((await store.get(bot))?.value.needsReEnabling).toBe(true);
    answer({ consumed: true, message: "consumed" });
    await reEnabler.sweep();
    expect(await store.getReEnable(actionId)).toBeUndefined();
    expect((await store.get(bot))?.value.needsReEnabling).toBe(false);
  });
});
