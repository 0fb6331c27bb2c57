// The usage view reads only the decisions of agents with a rate limit or a daily budget in the active
// bundle (ADR 0006), against a real NATS server: decisions about release-pipeline (no limits in the
// example bundle) never reach the replica's consumer, while the same decisions are read once the
// bundle limits it (control); a reload that limits it swaps in a consumer that counts the agent's
// decisions of the day, including those made before the reload, each once.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createDevIssuer } from "@warden/identity";
import { connectNats, drainNats, topology } from "@warden/messaging";
import type { ActionRequestData, Topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN } from "../src/domain/evaluator.ts";
import { startPolicyService } from "../src/start-policy-service.ts";
import type { RunningPolicyService } from "../src/start-policy-service.ts";
import { actionRequestFromWire } from "../src/wire/wire.ts";
import { awaitConsumerBarrier, policyTestConfig, repoGovernance, WAIT } from "./support.ts";

const PIPELINE = "release-pipeline";
const SUPPORT = "customer-support";
const PIPELINE_ACTIONS = "    allowedActions: [change.deploy, change.rollback]\n";
const EXAMPLE_LIMITED = ["customer-support", "financial-advisor", "knowledge-base-qa"];

let dir: string;
let keyFile: string;
let nc: NatsConnection;
const namespaces: Topology[] = [];
const replicas: RunningPolicyService[] = [];

interface Replica {
  readonly running: RunningPolicyService;
  readonly bundleDir: string;
  readonly t: Topology;
}

/** A copy of the example bundle, with release-pipeline limited to 1,000 requests a minute if asked. */
async function writeAgents(bundleDir: string, pipelineLimited: boolean): Promise<void> {
  const agents = await readFile(join(repoGovernance, "agents.yaml"), "utf8");
  expect(agents).toContain(PIPELINE_ACTIONS);
  await writeFile(
    join(bundleDir, "agents.yaml"),
    pipelineLimited
      ? agents.replace(PIPELINE_ACTIONS, `${PIPELINE_ACTIONS}    limits:\n      maxRequestsPerMinute: 1000\n`)
      : agents,
  );
}

async function startReplica(pipelineLimited: boolean): Promise<Replica> {
  const t = topology(uniqueName("flt").toLowerCase());
  namespaces.push(t);
  const bundleDir = join(dir, t.namespace);
  await cp(repoGovernance, bundleDir, { recursive: true });
  await writeAgents(bundleDir, pipelineLimited);
  const running = await startPolicyService(
    await policyTestConfig(t, bundleDir, keyFile, { POLICY_WATCH: "false" }),
  );
  replicas.push(running);
  return { running, bundleDir, t };
}

let seq = 0;
function wire(agentId: string): ActionRequestData {
  seq += 1;
  return agentId === PIPELINE
    ? {
        actionId: `filter-${seq}`,
        agentId,
        action: "change.deploy",
        changeType: "CHANGE_TYPE_CODE",
        environment: "ENVIRONMENT_DEVELOPMENT",
        versionChange: "VERSION_CHANGE_PATCH",
      }
    : { actionId: `filter-${seq}`, agentId, action: "knowledge.search" };
}

async function decide(on: RunningPolicyService, agentId: string, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    const body = wire(agentId);
    await on.service.decide(actionRequestFromWire(body), {
      authenticatedAgentId: agentId,
      wireRequest: body,
    });
  }
}

/** The replica's count of the agent's minute (through explain, which counts nothing), or why unknown. */
function seenBy(on: RunningPolicyService, agentId: string): number | string {
  const x = on.service.explain(actionRequestFromWire(wire(agentId)), { authenticatedAgentId: agentId });
  const unknown = x.rules.find((r) => r.ruleId === BUILTIN.usageUnknown && r.status === "matched");
  if (unknown !== undefined) return unknown.detail;
  const gate = x.rules.find((r) => r.ruleId === BUILTIN.rateLimit);
  const m = /(?:made )?([\d,]+) requests in the last minute/.exec(gate?.detail ?? "");
  return m?.[1] === undefined
    ? `no count: ${gate?.detail ?? "no rate-limit gate"}`
    : Number(m[1].replace(/,/g, ""));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-usage-filter-"));
  keyFile = join(dir, "dev-issuer.pem");
  await createDevIssuer({ issuer: "warden-test", audience: "warden", keyFile });
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "usage-filter-test",
    ...(await natsCredentials("test-admin")),
  });
}, 60_000);

afterAll(async () => {
  for (const running of replicas) await running.stop().catch(() => undefined);
  if (nc !== undefined) {
    const jsm = await jetstreamManager(nc);
    for (const t of namespaces)
      for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`])
        await jsm.streams.delete(name).catch(() => undefined);
    await drainNats(nc);
  }
  await rm(dir, { recursive: true, force: true });
});

describe("the usage view reads only the decisions of limited agents", () => {
  it.each([
    ["release-pipeline without limits: its decisions are not consumed", false],
    ["control, release-pipeline limited: the same decisions are consumed", true],
  ] as const)(
    "%s",
    async (_name, pipelineLimited) => {
      const { running, t } = await startReplica(pipelineLimited);
      const { usage } = running;
      expect(usage.agents()).toEqual(
        pipelineLimited ? [...EXAMPLE_LIMITED, PIPELINE].sort() : EXAMPLE_LIMITED,
      );
      expect(running.service.status().limitedAgents).toEqual(usage.agents());

      await decide(running, PIPELINE, 5);
      expect(usage.folded()).toBe(pipelineLimited ? 5 : 0); // counted locally only when limited

      // A limited agent's decision after them: once its copy is back, the consumer has passed the
      // pipeline's decisions in the stream (one consumer, stream order).
      await decide(running, SUPPORT);
      const expected = pipelineLimited ? 6 : 1;
      await expect
        .poll(() => usage.received(), { ...WAIT, message: `${expected} decisions received` })
        .toBe(expected);
      // Barrier: a marker decision by another replica, published after them all; once it is counted
      // the consumer has read past every decision above, so no late copy can still arrive.
      await awaitConsumerBarrier(nc, t, running);
      expect(usage.received()).toBe(expected + 1); // and the marker
      expect(usage.folded()).toBe(expected + 1); // each of its own decisions counted once
      expect(seenBy(running, SUPPORT)).toBe(1);
      if (pipelineLimited) expect(seenBy(running, PIPELINE)).toBe(5);
      else expect(usage.current(PIPELINE, undefined, Date.now())).toMatchObject({ state: "unknown" });
    },
    60_000,
  );

  it("a reload that limits an agent counts its decisions of the day once the new consumer has caught up", async () => {
    const { running, bundleDir, t } = await startReplica(false);
    const { usage } = running;
    await decide(running, PIPELINE, 4); // before the reload: not counted anywhere yet
    await decide(running, SUPPORT, 2);
    await expect.poll(() => usage.received(), { ...WAIT, message: "the support decisions back" }).toBe(2);
    expect(usage.folded()).toBe(2);

    await writeAgents(bundleDir, true);
    expect((await running.service.reload()).kind).toBe("activated");
    // Already limited: still confirmed (by the old consumer until the swap, then by the new one).
    expect(seenBy(running, SUPPORT)).toBe(2);
    // Newly limited: unknown (denied) until the new consumer has caught up, or already caught up.
    const right = seenBy(running, PIPELINE);
    if (typeof right === "string") expect(right).toMatch(/not caught up yet/);
    else expect(right).toBe(4);
    // Decisions during the catch-up count once, whichever consumer folds their copies.
    await decide(running, PIPELINE);
    await decide(running, SUPPORT);

    expect(await usage.caughtUp(10_000)).toBe(true);
    expect(usage.agents()).toContain(PIPELINE);
    await expect
      .poll(() => seenBy(running, PIPELINE), { ...WAIT, message: "the pipeline's 5 decisions" })
      .toBe(5);
    await expect
      .poll(() => seenBy(running, SUPPORT), { ...WAIT, message: "the support's 3 decisions" })
      .toBe(3);
    // Barrier (a marker decision after them all, see support.ts): every copy above has been read.
    await awaitConsumerBarrier(nc, t, running);
    expect(seenBy(running, PIPELINE)).toBe(5);
    expect(seenBy(running, SUPPORT)).toBe(3);
    expect(usage.folded()).toBe(9); // 8 and the marker
    expect(usage.status()).toEqual({ state: "confirmed" });

    // And the new consumer goes on counting: one more decision, counted once (locally at once, its
    // copy from the stream not again: the barrier is behind the copy).
    await decide(running, PIPELINE);
    expect(seenBy(running, PIPELINE)).toBe(6);
    await awaitConsumerBarrier(nc, t, running);
    expect(seenBy(running, PIPELINE)).toBe(6);
  }, 60_000);
});
