// The emergency stop through the real kill-switch service: the running guarded action aborts
// through its AbortSignal, the next is refused, the agent's acknowledgement shows in Status; and a
// partition (a loopback proxy the test stops) leaves the agent stopped within its lease until it
// has confirmed the clearance.
import { events } from "@warden/messaging";
import type { ActionExecutedData, Envelope } from "@warden/messaging";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StopStateUnknownError, StoppedError } from "../src/index.ts";
import type { WardenAgent } from "../src/index.ts";
import { collect, executedOf, startTcpProxy, startWarden, WAIT, agentConnect } from "./support.ts";
import type { Warden } from "./support.ts";

const AGENT = "release-pipeline";
const staging = {
  action: "change.deploy",
  changeType: "code",
  environment: "staging",
  versionChange: "patch",
} as const;

const oncall = { id: "olga", type: "human", roles: ["on-call-engineer"] } as const;
const engLead = { id: "erin", type: "human", roles: ["engineering-lead"] } as const;
const secLead = { id: "sam", type: "human", roles: ["security-lead"] } as const;
type Scope = { kind: "global" } | { kind: "environment" | "agent" | "service"; value: string };

let w: Warden;
let executed: Envelope<ActionExecutedData>[];

beforeAll(async () => {
  w = await startWarden({ killSwitch: true });
  executed = collect(w.nc, w.t.subjects.actionExecuted(AGENT), events.actionExecuted).seen;
  await w.nc.flush();
});

afterAll(async () => {
  await w.stop();
});

function killSwitch() {
  const ks = w.killSwitch;
  if (ks === undefined) throw new Error("kill switch not started");
  return ks.service;
}

async function activate(scopes: Scope[]): Promise<number> {
  return (await killSwitch().activate(oncall, { scopes, reason: "test incident" })).epoch;
}

/** The two-person resume; resolves to the epoch that lifted the stop. */
async function lift(epoch: number, scopes: Scope[]): Promise<number> {
  const input = {
    epoch,
    scopes,
    reviewRef: "PIR-1",
    rootCause: "a test",
    prevention: "more tests",
    reEnableAgents: [],
  };
  await killSwitch().deactivate(engLead, input);
  const done = await killSwitch().deactivate(secLead, input);
  expect(done.deactivated).toBe(true);
  return done.status.epoch;
}

/** A guarded action that runs until its signal aborts; `started` resolves once it runs. */
function longRunning() {
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let markAborted!: (reason: unknown) => void;
  const aborted = new Promise<unknown>((resolve) => (markAborted = resolve));
  const fn = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => {
      signal.addEventListener("abort", () => {
        markAborted(signal.reason);
        reject(new Error("deploy interrupted"));
      });
      markStarted();
    });
  return { fn, started, aborted };
}

async function acknowledged(agent: WardenAgent, epoch: number): Promise<boolean> {
  const status = await killSwitch().status();
  return status.consumers.some((c) => c.instanceId === agent.instanceId && c.epoch === epoch && c.confirmed);
}

describe("emergency stop", () => {
  it("aborts the running action, refuses the next, acknowledges the epoch; resumes after the two-person lift", async () => {
    const agent = await agentConnect({ agentId: AGENT, natsUrl: w.natsUrl, namespace: w.t.namespace });
    try {
      // Control: work flows before the stop.
      await expect(agent.guard(staging, () => "before")).resolves.toBe("before");

      const run = longRunning();
      const actionId = "deploy-during-stop";
      const guarded = agent.guard({ ...staging, actionId }, run.fn).catch((e: unknown) => e);
      await run.started;
      const epoch = await activate([{ kind: "global" }]);

      const reason = await run.aborted;
      expect(reason).toBeInstanceOf(StoppedError);
      expect((reason as StoppedError).epoch).toBe(epoch);
      const err = await guarded;
      expect(err).toBe(reason);
      await expect
        .poll(() => executedOf(executed, actionId)?.data.outcome, WAIT)
        .toBe("EXECUTION_OUTCOME_ABORTED");

      let ran = false;
      await expect(agent.guard(staging, () => (ran = true))).rejects.toBeInstanceOf(StoppedError);
      expect(ran).toBe(false);
      await expect.poll(() => acknowledged(agent, epoch), WAIT).toBe(true);

      const cleared = await lift(epoch, [{ kind: "global" }]);
      await expect.poll(() => agent.stopState(), WAIT).toEqual({ kind: "clear", epoch: cleared });
      await expect(agent.guard(staging, () => "after")).resolves.toBe("after");
      await expect.poll(() => acknowledged(agent, cleared), WAIT).toBe(true);
    } finally {
      await agent.close();
    }
  });

  it("an environment stop covers that environment's actions only (control: another environment runs)", async () => {
    const agent = await agentConnect({ agentId: AGENT, natsUrl: w.natsUrl, namespace: w.t.namespace });
    const scopes: Scope[] = [{ kind: "environment", value: "production" }];
    try {
      const epoch = await activate(scopes);
      await expect.poll(() => agent.stopState().kind, WAIT).toBe("active");
      await expect(agent.guard(staging, () => "staging runs")).resolves.toBe("staging runs");
      const err = await agent
        .guard({ ...staging, environment: "production" }, () => "never")
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoppedError);
      expect((err as StoppedError).scope).toEqual({ kind: "environment", value: "production" });
      await lift(epoch, scopes);
    } finally {
      await agent.close();
    }
  });

  it("partition: cut off during a stop, the agent stops within its lease and resumes only after confirming the clearance", async () => {
    const proxy = await startTcpProxy(w.natsUrl);
    const agent = await agentConnect({
      agentId: AGENT,
      natsUrl: proxy.url,
      namespace: w.t.namespace,
      leaseMs: 1_000,
      reconnectTimeWaitMs: 100,
    });
    try {
      // Control: through the proxy, work flows.
      await expect(agent.guard(staging, () => "connected")).resolves.toBe("connected");

      const run = longRunning();
      const guarded = agent.guard(staging, run.fn).catch((e: unknown) => e);
      await run.started;
      await proxy.cut();
      const epoch = await activate([{ kind: "global" }]);

      // The agent never hears of the stop: its lease runs out, and that stops it.
      const reason = await run.aborted;
      expect(reason).toBeInstanceOf(StopStateUnknownError);
      expect(agent.stopState().kind).toBe("unknown");
      await expect(agent.guard(staging, () => "no")).rejects.toBeInstanceOf(StopStateUnknownError);

      // Lifted while the agent is still cut off: it stays stopped, it has not confirmed the clearance.
      const cleared = await lift(epoch, [{ kind: "global" }]);
      await expect(agent.guard(staging, () => "no")).rejects.toBeInstanceOf(StopStateUnknownError);
      expect(await acknowledged(agent, cleared)).toBe(false);

      await proxy.restore();
      await expect.poll(() => agent.stopState(), WAIT).toEqual({ kind: "clear", epoch: cleared });
      await expect(agent.guard(staging, () => "resumed")).resolves.toBe("resumed");
      await expect.poll(() => acknowledged(agent, cleared), WAIT).toBe(true);
      expect(await guarded).toBe(reason);
    } finally {
      await agent.close();
      await proxy.close();
    }
  });
});
