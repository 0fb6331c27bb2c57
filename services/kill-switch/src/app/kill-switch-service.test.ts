import { describe, expect, it } from "vitest";
import { createInMemoryEvents } from "../adapters/fakes/in-memory-events.ts";
import { createInMemoryStopStore } from "../adapters/fakes/in-memory-stop-store.ts";
import type { Person } from "../domain/stop-record.ts";
import { createKillSwitchService } from "./kill-switch-service.ts";
import type { StopStore } from "./ports.ts";

const oncall: Person = { id: "olga", type: "human", roles: ["on-call-engineer"] };
const eng: Person = { id: "erin", type: "human", roles: ["engineering-lead"] };
const sec: Person = { id: "sam", type: "human", roles: ["security-lead"] };
const viewer: Person = { id: "vic", type: "human", roles: ["viewer"] };
const policy: Person = { id: "policy", type: "service", roles: [] };
const review = { reviewRef: "INC-2026-017", rootCause: "runaway agent", prevention: "rate limit" };

function setup(store: StopStore = createInMemoryStopStore()) {
  let now = Date.parse("2026-12-02T10:00:00Z");
  const events = createInMemoryEvents();
  const service = createKillSwitchService({
    store,
    events,
    acks: events,
    consumerTtlMs: 60_000,
    clock: () => new Date(now),
  });
  return { store, events, service, advance: (ms: number) => (now += ms) };
}

describe("activation", () => {
  it("stops the scopes with one new epoch, records who and why, and is an event", async () => {
    const { service, events } = setup();
    const result = await service.activate(oncall, {
      scopes: [{ kind: "global" }, { kind: "agent", value: "bot" }],
      reason: "runaway agent",
    });
    expect(result.epoch).toBe(1);
    expect(result.activated.map((r) => [r.scope.kind, r.epoch, r.activatedBy.id, r.reason])).toEqual([
      ["global", 1, "olga", "runaway agent"],
      ["agent", 1, "olga", "runaway agent"],
    ]);
    expect(events.recorded.map((e) => e.type)).toEqual(["activated"]);
    const again = await service.activate(oncall, { scopes: [{ kind: "global" }], reason: "still" });
    expect(again).toMatchObject({ epoch: 1, activated: [], alreadyActive: [{ scope: { kind: "global" } }] });
  });

  it("refuses a wrong role and a missing reason, naming them, and records each refusal", async () => {
    const { service, events } = setup();
    await expect(service.activate(viewer, { scopes: [{ kind: "global" }], reason: "x" })).rejects.toThrow(
      "activating an emergency stop needs one of the roles on-call-engineer, engineering-lead, security-lead, cto; vic holds viewer",
    );
    await expect(service.activate(oncall, { scopes: [], reason: " " })).rejects.toThrow(
      "reason: required: why the stop is activated; scopes: at least one scope",
    );
    expect(
      events.recorded.map((e) =>
        e.type === "refused" ? [e.refusal.operation, e.refusal.person?.id] : e.type,
      ),
    ).toEqual([
      ["activate", "vic"],
      ["activate", "olga"],
    ]);
    expect((await service.status()).scopes).toEqual([]);
  });
});

describe("deactivation", () => {
  it("needs an engineering-lead and a security-lead; the first approval survives a restart", async () => {
    const { service, store, events } = setup();
    await service.activate(oncall, {
      scopes: [{ kind: "environment", value: "production" }],
      reason: "incident",
    });
    const first = await service.deactivate(eng, { epoch: 1, scopes: [], reEnableAgents: [], ...review });
    expect(first).toMatchObject({ deactivated: false, missingRoles: ["security-lead"] });
    expect(first.status.active).toBe(true);
    await expect(
      service.deactivate(eng, { epoch: 1, scopes: [], reEnableAgents: [], ...review }),
    ).rejects.toThrow("erin already approved this deactivation");

    const restarted = setup(store).service;
    expect((await restarted.status()).pending?.approvals.map((a) => a.approver.id)).toEqual(["erin"]);
    const second = await restarted.deactivate(sec, { epoch: 1, scopes: [], reEnableAgents: [], ...review });
    expect(second.deactivated).toBe(true);
    expect(second.status).toMatchObject({ epoch: 2, active: false, pending: undefined });
    expect(second.status.scopes[0]).toMatchObject({
      active: false,
      epoch: 2,
      lifted: { reviewRef: "INC-2026-017" },
    });
    expect(events.recorded.map((e) => e.type)).toEqual(["activated", "deactivation_approved", "refused"]);
  });

  it("refuses one-role resume, missing fields and a stale epoch with what exactly is wrong", async () => {
    const { service } = setup();
    await service.activate(oncall, { scopes: [{ kind: "global" }], reason: "incident" });
    await service.deactivate(eng, { epoch: 1, scopes: [], reEnableAgents: [], ...review });
    const eng2: Person = { id: "eve", type: "human", roles: ["engineering-lead"] };
    await expect(
      service.deactivate(eng2, { epoch: 1, scopes: [], reEnableAgents: [], ...review }),
    ).rejects.toThrow("the second approval needs a person holding security-lead");
    await expect(
      service.deactivate(sec, { epoch: 1, scopes: [], reEnableAgents: [], reviewRef: "INC-1" }),
    ).rejects.toThrow("rootCause: required: the root cause; prevention: required: the prevention measures");
    await expect(
      service.deactivate(sec, { epoch: 7, scopes: [], reEnableAgents: [], ...review }),
    ).rejects.toThrow("the epoch is 1, the request saw 7");
    expect((await service.status()).active).toBe(true);
  });

  it("an agent stopped by an agent scope stays disabled unless the deactivation re-enables it", async () => {
    const { service, events } = setup();
    await service.activate(oncall, {
      scopes: [
        { kind: "agent", value: "a" },
        { kind: "agent", value: "b" },
      ],
      reason: "misbehaving",
    });
    await service.deactivate(eng, { epoch: 1, scopes: [], reEnableAgents: ["a"], ...review });
    const done = await service.deactivate(sec, { epoch: 1, scopes: [], reEnableAgents: [], ...review });
    expect(
      done.status.scopes.map((r) => [
        r.scope.kind === "global" ? "" : r.scope.value,
        r.active,
        r.needsReEnabling,
      ]),
    ).toEqual([
      ["a", false, false],
      ["b", false, true],
    ]);
    expect(done.status.active).toBe(true);
    const lifted = events.recorded.find((e) => e.type === "deactivated");
    expect(lifted?.type === "deactivated" && lifted.deactivation).toMatchObject({
      reEnabledAgents: ["a"],
      stillDisabled: ["b"],
    });
  });
});

describe("the scope records of one change name each other (consumers acknowledge the whole change)", () => {
  it("an activation of two scopes and its lift each list both keys; a later change of one scope lists none", async () => {
    const { service, store } = setup();
    await service.activate(oncall, {
      scopes: [{ kind: "global" }, { kind: "agent", value: "bot" }],
      reason: "runaway agent",
    });
    const both = ["scope.agent.bot", "scope.global"];
    const batches = async () =>
      (await store.list())
        .map((r) => [r.value.scope.kind, r.value.epoch, r.value.batch])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(await batches()).toEqual([
      ["agent", 1, both],
      ["global", 1, both],
    ]);
    await service.deactivate(eng, { ...review, epoch: 1, scopes: [], reEnableAgents: [] });
    await service.deactivate(sec, { ...review, epoch: 1, scopes: [], reEnableAgents: [] });
    expect(await batches()).toEqual([
      ["agent", 2, both],
      ["global", 2, both],
    ]);
    await service.activate(oncall, { scopes: [{ kind: "global" }], reason: "again" });
    expect(await batches()).toEqual([
      ["agent", 2, both],
      ["global", 3, undefined], // one scope: the record stands for its change alone
    ]);
  });
});

describe("acknowledgements", () => {
  it("confirms against the epoch the records hold, not a counter value no record was written with", async () => {
    const { service, store } = setup();
    await service.activate(oncall, { scopes: [{ kind: "global" }], reason: "incident" });
    // Another writer took epoch 2 and lost every compare-and-set: no record has it, and none will.
    await store.nextEpoch();
    const status = await service.acknowledge(policy, { epoch: 1, instanceId: "policy-1" });
    expect(status.epoch).toBe(2);
    expect(status.consumers.map((c) => [c.instanceId, c.confirmed])).toEqual([["policy-1", true]]);
    // Control: an acknowledgement of the epoch before the stop does not confirm it.
    const before = await service.acknowledge(policy, { epoch: 0, instanceId: "policy-2" });
    expect(before.consumers.map((c) => [c.instanceId, c.confirmed])).toEqual([
      ["policy-1", true],
      ["policy-2", false],
    ]);
  });

  it("lists who confirmed the current epoch, who has not, and how long ago; forgets the long silent", async () => {
    const { service, advance } = setup();
    await service.acknowledge(policy, { epoch: 0, instanceId: "policy-1" });
    await service.acknowledge(policy, { epoch: 0, instanceId: "policy-2" });
    await service.activate(oncall, { scopes: [{ kind: "global" }], reason: "incident" });
    advance(1_500);
    const status = await service.acknowledge(policy, { epoch: 1, instanceId: "policy-1" });
    expect(status.consumers.map((c) => [c.instanceId, c.epoch, c.confirmed, c.ageMs])).toEqual([
      ["policy-1", 1, true, 0],
      ["policy-2", 0, false, 1_500],
    ]);
    advance(60_001);
    expect((await service.status()).consumers.map((c) => c.instanceId)).toEqual([]);
    await expect(service.acknowledge(policy, { epoch: 1, instanceId: " " })).rejects.toThrow(
      "instanceId: required",
    );
  });
});
