// Fault: the policy service is killed with SIGKILL K times while clients ask it for decisions over
// NATS request-reply (16 in flight); each time it is restarted. The clients log every answer they
// received; afterwards every answered decision has its record in WARDEN_EVENTS
// (warden.decision.<outcome>.<agent>, DESIGN.md §11: no decision is answered before its record is
// durable). Run per POLICY_DECISION_RECORDS mode.
// Control (deterministic): the same load and the same check against a policy process whose sink
// answers before it writes and never writes every 5th record (test/fault/lib/policy-answer-first.ts):
// the check must report exactly those decisions missing.
//
//   POLICY_FAULT_DECISIONS (answered decisions per mode, default 200), POLICY_FAULT_KILLS (default 3),
//   POLICY_FAULT_MODES (default single,group). Long form, e.g.:
//   POLICY_FAULT_DECISIONS=20000 POLICY_FAULT_KILLS=20 POLICY_FAULT_MODES=single,pipelined,group \
//     pnpm exec vitest run --project e2e test/fault/policy-kill.test.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstream, jetstreamManager, DeliverPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createDevIssuer } from "@warden/identity";
import {
  connectNats,
  decodeEnvelope,
  drainNats,
  provisionTopology,
  requestRpc,
  topology,
  topologyStreams,
} from "@warden/messaging";
import type { Topology } from "@warden/messaging";
import {
  natsCredentials,
  natsCredsFile,
  startServiceProcess,
  testServers,
  uniqueName,
} from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DECISIONS = Number(process.env["POLICY_FAULT_DECISIONS"] ?? 200);
const KILLS = Number(process.env["POLICY_FAULT_KILLS"] ?? 3);
const MODES = (process.env["POLICY_FAULT_MODES"] ?? "single,group").split(",").map((m) => m.trim());
const INFLIGHT = 16;
const AGENT = "release-pipeline";
const governance = fileURLToPath(new URL("../../governance", import.meta.url));
const controlScript = fileURLToPath(new URL("./lib/policy-answer-first.ts", import.meta.url));

let dir: string;
let keyFile: string;
let admin: NatsConnection;
const topologies: Topology[] = [];
let current: ServiceProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-policy-kill-"));
  keyFile = join(dir, "dev-issuer.pem");
  await createDevIssuer({ issuer: "warden-fault", audience: "warden", keyFile });
  admin = await connectNats({
    servers: testServers().natsUrl,
    name: "policy-kill-admin",
    ...(await natsCredentials("test-admin")),
  });
});

afterAll(async () => {
  await current?.kill();
  const jsm = await jetstreamManager(admin);
  for (const t of topologies)
    for (const name of topologyStreams(t)) await jsm.streams.delete(name).catch(() => undefined);
  await drainNats(admin);
  await rm(dir, { recursive: true, force: true });
});

async function startPolicy(t: Topology, mode: string, log: string, script?: string): Promise<ServiceProcess> {
  const creds = await natsCredsFile("service:policy", { namespace: t.namespace });
  return startServiceProcess(
    "policy",
    {
      NATS_URL: testServers().natsUrl,
      ...(creds !== undefined && { NATS_CREDS: creds }),
      WARDEN_NAMESPACE: t.namespace,
      POLICY_BUNDLE_DIR: governance,
      POLICY_WATCH: "false",
      POLICY_DECISION_RECORDS: mode,
      JWT_ISSUER: "warden-fault",
      JWT_DEV_KEY_FILE: keyFile,
    },
    log,
    90_000,
    script,
  );
}

/** The action ids of every decision about AGENT stored in the events stream. */
async function storedDecisions(t: Topology): Promise<Set<string>> {
  const consumer = await jetstream(admin).consumers.get(t.streams.events, {
    filter_subjects: [t.subjects.decisionsOf(AGENT)],
    deliver_policy: DeliverPolicy.All,
  });
  const ids = new Set<string>();
  if ((await consumer.info()).num_pending === 0) return ids;
  const messages = await consumer.consume({ max_messages: 1_000 });
  for await (const m of messages) {
    const id = decodeEnvelope(m.data).actionId;
    if (id !== undefined) ids.add(id);
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return ids;
}

/** Answered decisions without a record (what must never happen). */
function answeredWithoutRecord(answered: ReadonlySet<string>, stored: ReadonlySet<string>): string[] {
  return [...answered].filter((id) => !stored.has(id)).sort();
}

type Run = { answered: Set<string>; failed: number; kills: number };

/**
 * Asks for decisions (INFLIGHT at a time, each a new action id) until `decisions` were answered;
 * after every decisions/(kills+1) answers the process is SIGKILLed with requests in flight and a new
 * one started. An answer is logged only when the client got it; errors (the killed process, no
 * responder while it restarts) are counted, not retried.
 */
async function load(
  t: Topology,
  start: () => Promise<ServiceProcess>,
  decisions: number,
  kills: number,
  timeoutMs = 5_000,
): Promise<Run> {
  const agent = await connectNats({
    servers: testServers().natsUrl,
    name: "policy-kill-agent",
    ...(await natsCredentials(`agent:${AGENT}`, { namespace: t.namespace })),
  });
  const subject = t.rpc.policyEvaluate(AGENT);
  const encoder = new TextEncoder();
  const run: Run = { answered: new Set(), failed: 0, kills: 0 };
  const every = Math.max(1, Math.floor(decisions / (kills + 1)));
  let next = 0;
  let restarting: Promise<void> | undefined;
  current = await start();
  const killIfDue = (): void => {
    if (restarting !== undefined || run.kills >= kills) return;
    if (run.answered.size < every * (run.kills + 1)) return;
    run.kills += 1;
    const victim = current;
    restarting = (async () => {
      await victim?.kill();
      current = await start();
      restarting = undefined;
    })();
  };
  try {
    await Promise.all(
      Array.from({ length: INFLIGHT }, async () => {
        while (run.answered.size < decisions) {
          if (restarting !== undefined) await restarting;
          const id = `${t.namespace}-${next++}`;
          const body = encoder.encode(
            JSON.stringify({
              actionId: id,
              agentId: AGENT,
              action: "change.deploy",
              changeType: "CHANGE_TYPE_CODE",
              environment: "ENVIRONMENT_DEVELOPMENT",
              versionChange: "VERSION_CHANGE_PATCH",
            }),
          );
          try {
            const decision = (await requestRpc(agent, subject, body, { timeoutMs })) as {
              actionId?: string;
            };
            expect(decision.actionId).toBe(id);
            run.answered.add(id);
          } catch {
            run.failed += 1;
            if (run.failed > decisions * 10) throw new Error(`${run.failed} failed requests: giving up`);
          }
          killIfDue();
        }
      }),
    );
    if (restarting !== undefined) await restarting;
  } finally {
    await drainNats(agent);
  }
  return run;
}

describe("policy SIGKILL under load: no answered decision without a durable record", () => {
  for (const mode of MODES) {
    it(
      `${mode}: ${DECISIONS} answered decisions through ${KILLS} SIGKILLs all have their record`,
      { timeout: Math.max(150_000, DECISIONS * 100 + KILLS * 30_000) },
      async () => {
        const t = topology(uniqueName(`pk${mode.slice(0, 3)}`).toLowerCase());
        topologies.push(t);
        await provisionTopology(admin, t);
        const log = join(dir, `policy-${mode}.log`);
        const run = await load(t, () => startPolicy(t, mode, log), DECISIONS, KILLS);
        await current?.stop();
        current = undefined;
        const stored = await storedDecisions(t);
        expect(run.kills).toBe(KILLS);
        expect(run.answered.size).toBeGreaterThanOrEqual(DECISIONS);
        expect(answeredWithoutRecord(run.answered, stored)).toEqual([]);
        console.log(
          `policy-kill ${mode}: ${run.answered.size} answered, ${run.failed} failed (kills in flight), ` +
            `${run.kills} kills, ${stored.size} records`,
        );
      },
    );
  }

  it(
    "control: a policy that answers before its record (and drops every 5th) is caught",
    { timeout: 150_000 },
    async () => {
      const t = topology(uniqueName("pkctl").toLowerCase());
      topologies.push(t);
      await provisionTopology(admin, t);
      const log = join(dir, "policy-control.log");
      // No kills and a 60 s request timeout: every decision the control process saw is answered, so
      // every 5th it saw has no record — whatever the timing (the dropped ones are never written).
      const run = await load(t, () => startPolicy(t, "single", log, controlScript), 50, 0, 60_000);
      await current?.stop();
      current = undefined;
      expect(run.failed).toBe(0);
      const missing = answeredWithoutRecord(run.answered, await storedDecisions(t));
      expect(missing.length).toBeGreaterThanOrEqual(Math.floor(run.answered.size / 5));
      expect(missing.length).toBeGreaterThan(0);
    },
  );
});
