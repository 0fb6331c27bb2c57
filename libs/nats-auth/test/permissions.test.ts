// The server enforces each identity's permissions (issue #11): every forbidden publish / subscribe /
// KV write is refused for an agent and allowed for the owning service (the control); agents cannot
// impersonate each other; a revoked agent is cut off without a restart; no credentials, no entry.
import { Kvm } from "@nats-io/kv";
import type { KV } from "@nats-io/kv";
import { jetstreamManager } from "@nats-io/jetstream";
import { PermissionViolationError } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, drainNats, NatsCredentialsError, provisionTopology, topology } from "@warden/messaging";
import { startNats, uniqueName, type NatsServer } from "@warden/testing/servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNatsAuthority,
  issueSystemUser,
  issueUser,
  parseIdentity,
  pushAccountJwt,
  revokeUser,
  agentInboxPrefix,
  verdictsOf,
  type NatsAuthority,
} from "../src/index.ts";

const namespace = uniqueName("na")
  .replace(/[^a-z0-9_-]/g, "")
  .slice(0, 32)
  .toLowerCase();
const t = topology(namespace);
let authority: NatsAuthority;
let server: NatsServer;
let admin: NatsConnection;
const open: NatsConnection[] = [];

/** Connects as `spec` (e.g. `agent:deploy-bot`), collecting the server's permission errors. */
async function as(spec: string, options: { reportsDeployments?: boolean } = {}) {
  const user = await issueUser(authority, parseIdentity(spec), { namespace, ...options });
  const nc = await connectNats({
    servers: server.url,
    name: spec,
    creds: user.creds,
    inboxPrefix: user.inboxPrefix,
  });
  open.push(nc);
  const violations: PermissionViolationError[] = [];
  const errors: Error[] = [];
  let onError: (() => void) | undefined;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "error" && s.error instanceof PermissionViolationError) violations.push(s.error);
      else if (s.type === "error") errors.push(s.error);
      onError?.();
    }
  })();
  /** Resolves once the server has sent an error matching `pattern` (e.g. a revocation). */
  const serverError = (pattern: RegExp): Promise<Error> =>
    new Promise((resolve) => {
      const check = (): void => {
        const hit = errors.find((e) => pattern.test(e.message));
        if (hit !== undefined) resolve(hit);
      };
      onError = check;
      check();
    });
  /** Whether the server refused a publish to `subject` (its -ERR precedes the flush's PONG). */
  const refusedPublish = async (subject: string): Promise<boolean> => {
    await nc.flush();
    await new Promise((resolve) => setImmediate(resolve));
    return violations.some((v) => v.operation === "publish" && v.subject === subject);
  };
  return { nc, user, violations, refusedPublish, serverError };
}

/** Publishes as `who` and reports whether an admin subscriber got it (a sentinel follows). */
async function delivered(who: Awaited<ReturnType<typeof as>>, subject: string): Promise<boolean> {
  const sentinel = `${subject}.sentinel`;
  const sub = admin.subscribe(subject);
  const end = admin.subscribe(sentinel, { max: 1 });
  await admin.flush();
  who.nc.publish(subject, "probe");
  await who.nc.flush();
  admin.publish(sentinel, "end");
  let got = false;
  for await (const m of end) {
    void m;
    break;
  }
  await admin.flush();
  got = sub.getReceived() > 0;
  sub.unsubscribe();
  return got;
}

beforeAll(async () => {
  authority = createNatsAuthority();
  server = await startNats({ auth: authority });
  const adminUser = await issueUser(authority, parseIdentity("test-admin"));
  admin = await connectNats({ servers: server.url, name: "test-admin", creds: adminUser.creds });
  await provisionTopology(admin, t);
});

afterAll(async () => {
  for (const nc of open) await drainNats(nc).catch(() => undefined);
  if (admin !== undefined) await drainNats(admin);
  await server?.stop();
});

describe("an agent's publishes", () => {
  it("may publish its own action request, refused on another agent's (no impersonation)", async () => {
    const bot = await as("agent:deploy-bot");
    expect(await delivered(bot, t.subjects.actionRequested("deploy-bot"))).toBe(true);
    expect(await bot.refusedPublish(t.subjects.actionRequested("deploy-bot"))).toBe(false);
    expect(await delivered(bot, t.subjects.actionRequested("customer-support"))).toBe(false);
    expect(await bot.refusedPublish(t.subjects.actionRequested("customer-support"))).toBe(true);
  });

  it.each([
    ["a decision", "policy", () => t.subjects.decision("allow", "deploy-bot")],
    ["a dry-run decision", "policy", () => t.subjects.decisionDryRun("allow", "deploy-bot")],
    ["a vote", "approval", () => t.subjects.approval("voted", "act-1")],
    ["an approval", "approval", () => t.subjects.approval("granted", "act-1")],
    ["a verdict", "approval", () => t.subjects.actionVerdict("allow", "deploy-bot")],
    ["a kill-switch activation", "kill-switch", () => t.subjects.killswitch("activated")],
    ["a kill-switch deactivation", "kill-switch", () => t.subjects.killswitch("deactivated")],
    ["an audit record", "audit", () => t.subjects.auditRecorded("decision")],
    ["an audit checkpoint", "audit", () => t.subjects.auditCheckpoint],
    ["a rollback", "rollback-monitor", () => t.subjects.rollback("started", "dep-1")],
    ["an escalation", "rollback-monitor", () => t.subjects.escalation("raised", "dep-1")],
  ])("refuses %s from an agent, allows it from the %s service", async (_what, service, subject) => {
    const bot = await as("agent:deploy-bot");
    expect(await delivered(bot, subject())).toBe(false);
    expect(await bot.refusedPublish(subject())).toBe(true);
    const owner = await as(`service:${service}`);
    expect(await delivered(owner, subject())).toBe(true);
    expect(await owner.refusedPublish(subject())).toBe(false);
  });

  it("refuses a decision from a service other than policy (the forged-decision report)", async () => {
    const audit = await as("service:audit");
    expect(await delivered(audit, t.subjects.decision("allow", "financial-advisor"))).toBe(false);
    const policy = await as("service:policy");
    expect(await delivered(policy, t.subjects.decision("allow", "financial-advisor"))).toBe(true);
  });

  it("refuses wardenaudit.> from every service but the audit", async () => {
    const policy = await as("service:policy");
    expect(await delivered(policy, t.subjects.auditRecorded("decision"))).toBe(false);
    const audit = await as("service:audit");
    expect(await delivered(audit, t.subjects.auditRecorded("decision"))).toBe(true);
  });

  it("may acknowledge the kill switch and report executions for itself only", async () => {
    const bot = await as("agent:deploy-bot");
    expect(await delivered(bot, t.subjects.killswitchAcknowledged("deploy-bot"))).toBe(true);
    expect(await delivered(bot, t.subjects.actionExecuted("deploy-bot"))).toBe(true);
    expect(await delivered(bot, t.subjects.killswitchAcknowledged("customer-support"))).toBe(false);
    expect(await delivered(bot, t.subjects.actionExecuted("customer-support"))).toBe(false);
  });
});

describe("the rollback monitor's polled samples", () => {
  it("may publish error-rate and latency signals (Prometheus poller), not health or deploy events", async () => {
    const monitor = await as("service:rollback-monitor");
    for (const subject of [t.subjects.signal("error_rate", "dep-1"), t.subjects.signal("latency", "dep-1")]) {
      expect(await delivered(monitor, subject)).toBe(true);
      expect(await monitor.refusedPublish(subject)).toBe(false);
    }
    for (const subject of [t.subjects.signal("health", "dep-1"), t.subjects.deploy("started", "dep-1")]) {
      expect(await delivered(monitor, subject)).toBe(false);
      expect(await monitor.refusedPublish(subject)).toBe(true);
    }
  });
});

describe("a deployment reporter", () => {
  it.each([
    ["a deployment start", () => t.subjects.deploy("started", "dep-1")],
    ["a deployment completion", () => t.subjects.deploy("completed", "dep-1")],
    ["a health signal", () => t.subjects.signal("health", "dep-1")],
    ["an error-rate sample", () => t.subjects.signal("error_rate", "dep-1")],
  ])("may publish %s; a plain agent may not (control)", async (_what, subject) => {
    const pipeline = await as("agent:release-pipeline", { reportsDeployments: true });
    expect(await delivered(pipeline, subject())).toBe(true);
    expect(await pipeline.refusedPublish(subject())).toBe(false);
    const bot = await as("agent:deploy-bot");
    expect(await delivered(bot, subject())).toBe(false);
    expect(await bot.refusedPublish(subject())).toBe(true);
  });

  it("still may not publish a rollback or another agent's request", async () => {
    const pipeline = await as("agent:release-pipeline", { reportsDeployments: true });
    expect(await delivered(pipeline, t.subjects.rollback("requested", "dep-1"))).toBe(false);
    expect(await delivered(pipeline, t.subjects.actionRequested("deploy-bot"))).toBe(false);
  });
});

describe("an agent's requests", () => {
  it("may ask policy and consume approvals for itself only; policy answers it", async () => {
    const policy = await as("service:policy");
    const served = policy.nc.subscribe(t.rpc.policyEvaluateAll, {
      callback: (_err, msg) => void msg.respond("answer"),
    });
    const approvals = await as("service:approval");
    approvals.nc.subscribe(t.rpc.approvalConsumeAll, {
      callback: (_err, msg) => void msg.respond("consumed"),
    });
    await policy.nc.flush();
    await approvals.nc.flush();
    const bot = await as("agent:deploy-bot");
    expect((await bot.nc.request(t.rpc.policyEvaluate("deploy-bot"), "q")).string()).toBe("answer");
    expect((await bot.nc.request(t.rpc.approvalConsume("deploy-bot"), "q")).string()).toBe("consumed");
    const other = t.rpc.policyEvaluate("customer-support");
    await bot.nc.request(other, "q", { timeout: 2_000 }).catch(() => undefined);
    expect(await bot.refusedPublish(other)).toBe(true);
    const otherConsume = t.rpc.approvalConsume("customer-support");
    await bot.nc.request(otherConsume, "q", { timeout: 2_000 }).catch(() => undefined);
    expect(await bot.refusedPublish(otherConsume)).toBe(true);
    served.unsubscribe();
  });

  it("may read back its own verdicts from the approval service, not another agent's", async () => {
    const approvals = await as("service:approval");
    const served = approvals.nc.subscribe(t.rpc.approvalVerdictAll, {
      callback: (_err, msg) => void msg.respond("verdict"),
    });
    await approvals.nc.flush();
    const bot = await as("agent:deploy-bot");
    // control: its own subject is served
    expect((await bot.nc.request(t.rpc.approvalVerdict("deploy-bot"), "q")).string()).toBe("verdict");
    const other = t.rpc.approvalVerdict("customer-support");
    await bot.nc.request(other, "q", { timeout: 2_000 }).catch(() => undefined);
    expect(await bot.refusedPublish(other)).toBe(true);
    served.unsubscribe();
  });
});

describe("an agent's subscriptions", () => {
  it("may read its own verdicts, not another agent's", async () => {
    const bot = await as("agent:deploy-bot");
    const own = bot.nc.subscribe(verdictsOf("deploy-bot", namespace));
    const others = bot.nc.subscribe(verdictsOf("customer-support", namespace));
    await bot.nc.flush();
    const approval = await as("service:approval");
    approval.nc.publish(t.subjects.actionVerdict("allow", "deploy-bot"), "v");
    for await (const m of own) {
      expect(m.subject).toBe(t.subjects.actionVerdict("allow", "deploy-bot"));
      break;
    }
    expect(await others.closed).toBeInstanceOf(PermissionViolationError);
  });

  it.each([
    ["decisions", () => t.subjects.decisionAll, "service:policy"],
    ["every event", () => t.subjects.allEvents, "service:policy"],
    ["the audit output", () => t.subjects.auditAll, "service:audit"],
    ["the services' inbox", () => "_INBOX.>", "service:policy"],
    ["every agent inbox", () => "_INBOX_AGENT.>", "test-admin"],
    [
      "another agent's inbox",
      () => `${agentInboxPrefix("customer-support", namespace)}.>`,
      "agent:customer-support",
    ],
    ["the policy RPC", () => t.rpc.policyEvaluateAll, "service:policy"],
  ])("refuses %s to an agent; %s may", async (_what, subject, owner) => {
    const bot = await as("agent:deploy-bot");
    const sub = bot.nc.subscribe(subject());
    await bot.nc.flush();
    expect(await sub.closed).toBeInstanceOf(PermissionViolationError);
    const control = await as(owner);
    const allowed = control.nc.subscribe(subject());
    await control.nc.flush();
    // A publish after the subscription: delivered only if the server accepted it.
    admin.publish(subject().replace(/>$/, "x").replace(/\*/g, "x"), "probe");
    for await (const m of allowed) {
      void m;
      break;
    }
    expect(control.violations).toEqual([]);
    allowed.unsubscribe();
  });
});

describe("the kill-switch bucket", () => {
  const key = "state";
  let writer: KV;

  beforeAll(async () => {
    const ks = await as("service:kill-switch");
    writer = await new Kvm(ks.nc).open(t.kv.killswitch);
    await writer.put(key, "clear");
  });

  it("an agent reads and watches it, never writes, deletes or purges it; the kill-switch writes", async () => {
    const bot = await as("agent:deploy-bot");
    const kv = await new Kvm(bot.nc).open(t.kv.killswitch);
    expect((await kv.get(key))?.string()).toBe("clear");
    const watch = await kv.watch({ key });
    // Control: the kill-switch service writes, the agent's watch sees it.
    await writer.put(key, "stopped");
    for await (const e of watch) {
      if (e.string() === "stopped") break;
    }
    watch.stop();

    await kv.put(key, "clear").catch(() => undefined);
    expect(await bot.refusedPublish(`$KV.${t.kv.killswitch}.${key}`)).toBe(true);
    await kv.delete(key).catch(() => undefined);
    await kv.purge(key).catch(() => undefined);
    const jsm = await jetstreamManager(bot.nc, { timeout: 1_000 });
    await jsm.streams.purge(`KV_${t.kv.killswitch}`).catch(() => undefined);
    expect(await bot.refusedPublish(`$JS.API.STREAM.PURGE.KV_${t.kv.killswitch}`)).toBe(true);
    await jsm.streams.delete(`KV_${t.kv.killswitch}`).catch(() => undefined);
    expect(await bot.refusedPublish(`$JS.API.STREAM.DELETE.KV_${t.kv.killswitch}`)).toBe(true);
    expect((await writer.get(key))?.string()).toBe("stopped");
  });

  it("another service may not write it (only the kill-switch may)", async () => {
    const policy = await as("service:policy");
    const kv = await new Kvm(policy.nc).open(t.kv.killswitch);
    await kv.put(key, "clear").catch(() => undefined);
    expect(await policy.refusedPublish(`$KV.${t.kv.killswitch}.${key}`)).toBe(true);
    expect((await kv.get(key))?.string()).toBe("stopped");
  });
});

describe("authentication", () => {
  it("refuses a connection without credentials, naming the key; admits one with them", async () => {
    await expect(connectNats({ servers: server.url, name: "anonymous" })).rejects.toThrow(
      NatsCredentialsError,
    );
    await expect(connectNats({ servers: server.url, name: "anonymous" })).rejects.toThrow(/NATS_CREDS/);
    const bot = await as("agent:deploy-bot");
    await bot.nc.flush();
  });

  it("refuses credentials signed by another authority", async () => {
    const foreign = await issueUser(createNatsAuthority(), parseIdentity("agent:deploy-bot"));
    await expect(connectNats({ servers: server.url, name: "foreign", creds: foreign.creds })).rejects.toThrow(
      /NATS_CREDS: the server refused/,
    );
  });

  it("cuts a revoked agent off at once, without a restart; another agent stays connected", async () => {
    const revoked = await as("agent:deploy-bot");
    const kept = await as("agent:customer-support");
    const system = await connectNats({
      servers: server.url,
      name: "system",
      creds: (await issueSystemUser(authority)).creds,
    });
    open.push(system);
    const cutOff = revoked.serverError(/revoked/i);
    await pushAccountJwt(system, await revokeUser(authority, revoked.user.publicKey));
    // The server closes the connection ("User Authentication Revoked") and refuses its reconnects.
    expect((await cutOff).message).toMatch(/User Authentication Revoked/);
    await revoked.serverError(/Authorization Violation/);
    await expect(
      connectNats({ servers: server.url, name: "again", creds: revoked.user.creds }),
    ).rejects.toThrow(NatsCredentialsError);
    expect(await delivered(kept, t.subjects.actionRequested("customer-support"))).toBe(true);
  });
});
