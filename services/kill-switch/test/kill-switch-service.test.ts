// The kill-switch service in-process against real NATS: HTTP, slash command and gRPC paths, the
// broadcast, acknowledgements, the two-person resume, and a restart that keeps the state.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { killswitchV1 } from "@warden/contracts";
import { createGrpcClient, Status } from "@warden/grpc";
import { createDevIssuer } from "@warden/identity";
import type { DevIssuer } from "@warden/identity";
import { connectNats, createPublisher, decodeEnvelope, drainNats, events, topology } from "@warden/messaging";
import { testServers, uniqueName, natsCredentials, natsCredsFile } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { slackSignature } from "../src/domain/slack-signature.ts";
import { startKillSwitchService } from "../src/start-kill-switch-service.ts";
import type { RunningKillSwitchService } from "../src/start-kill-switch-service.ts";

const t = topology(uniqueName("ksw").toLowerCase());
const SECRET = "slack-signing-secret-for-tests";
let dir: string;
let issuer: DevIssuer;
let nc: NatsConnection;
let running: RunningKillSwitchService;
const broadcast: string[] = [];

async function config() {
  const creds = await natsCredsFile("service:kill-switch", { namespace: t.namespace });
  return loadConfig({
    NATS_URL: testServers().natsUrl,
    ...(creds !== undefined && { NATS_CREDS: creds }),
    WARDEN_NAMESPACE: t.namespace,
    GRPC_HOST: "127.0.0.1",
    GRPC_INSECURE: "true",
    GRPC_PORT: "0",
    OPS_HOST: "127.0.0.1",
    OPS_PORT: "0",
    JWT_ISSUER: "warden-test",
    JWT_DEV_KEY_FILE: join(dir, "dev-issuer.pem"),
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_USERS: "U0NCALL=olga:on-call-engineer,U0VIEW=vic:viewer",
    LOG_LEVEL: "silent",
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-ks-"));
  issuer = await createDevIssuer({
    issuer: "warden-test",
    audience: "warden",
    keyFile: join(dir, "dev-issuer.pem"),
  });
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "ks-test",
    ...(await natsCredentials("test-admin")),
  });
  running = await startKillSwitchService(await config());
  const sub = nc.subscribe(t.subjects.killswitchAll);
  void (async () => {
    for await (const m of sub) broadcast.push(m.subject);
  })();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await running.stop();
  const jsm = await jetstreamManager(nc);
  for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`]) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
  await drainNats(nc);
  await rm(dir, { recursive: true, force: true });
});

const token = (sub: string, roles: string[], type: "human" | "service" = "human") =>
  issuer.issue({ sub, roles, type });
const clients: { close(): void }[] = [];
function grpc(bearer: string) {
  const c = createGrpcClient(killswitchV1.KillSwitchServiceDefinition, `127.0.0.1:${running.grpcPort}`, {
    token: bearer,
  });
  clients.push(c);
  return c.client;
}

async function post(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`http://127.0.0.1:${running.opsPort}${path}`, { method: "POST", body, headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The status of a failed call (nice-grpc's ClientError carries code and details). */
async function grpcError(call: Promise<unknown>): Promise<{ code: Status; details: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof Error && "code" in err && "details" in err) {
      return { code: err.code as Status, details: String(err.details) };
    }
    throw err;
  }
  throw new Error("expected a gRPC error");
}

function slack(text: string, user: string, at = Math.floor(Date.now() / 1000)) {
  const body = new URLSearchParams({ command: "/emergency-stop", text, user_id: user }).toString();
  const ts = String(at);
  return {
    body,
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": slackSignature(SECRET, ts, body),
    },
  };
}

describe("activation paths and refusals", () => {
  it("HTTP: refuses no token, a wrong role and a missing reason naming it; activates with a role", async () => {
    const json = { "content-type": "application/json" };
    expect((await post("/api/emergency-stop", "{}", json)).status).toBe(401);
    const viewer = await token("vic", ["viewer"]);
    const wrongRole = await post("/api/emergency-stop", JSON.stringify({ scopes: ["global"], reason: "x" }), {
      ...json,
      authorization: `Bearer ${viewer}`,
    });
    expect(wrongRole.status).toBe(403);
    expect(wrongRole.json["message"]).toContain("needs one of the roles on-call-engineer");
    const oncall = await token("olga", ["on-call-engineer"]);
    const noReason = await post("/api/emergency-stop", JSON.stringify({ scopes: ["agent:bot-1"] }), {
      ...json,
      authorization: `Bearer ${oncall}`,
    });
    expect(noReason).toMatchObject({ status: 400, json: { violations: [{ field: "reason" }] } });
    const ok = await post(
      "/api/emergency-stop",
      JSON.stringify({ scopes: ["agent:bot-1"], reason: "loops on refunds" }),
      {
        ...json,
        authorization: `Bearer ${oncall}`,
      },
    );
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ activated: ["agent:bot-1"], epoch: 1 });
    await expect.poll(() => broadcast).toContain(t.subjects.killswitch("activated"));
    expect(broadcast.filter((s) => s === t.subjects.killswitch("refused")).length).toBeGreaterThanOrEqual(2);
  });

  it("slash command: forged, stale and replayed requests are refused; a signed one activates", async () => {
    const good = slack("environment:staging flaky deploys", "U0NCALL");
    const forged = await post("/api/slack/command", good.body.replace("staging", "production"), good.headers);
    expect(forged).toMatchObject({ status: 401, json: { error: "signature_mismatch" } });
    const old = slack("global too late", "U0NCALL", Math.floor(Date.now() / 1000) - 301);
    expect((await post("/api/slack/command", old.body, old.headers)).json).toMatchObject({
      error: "signature_stale",
    });
    const first = await post("/api/slack/command", good.body, good.headers);
    expect(first).toMatchObject({ status: 200, json: { response_type: "in_channel" } });
    expect(first.json["text"]).toContain("environment:staging");
    const replay = await post("/api/slack/command", good.body, good.headers);
    expect(replay).toMatchObject({ status: 401, json: { error: "replayed" } });
    const viewer = slack("global nope", "U0VIEW");
    const refused = await post("/api/slack/command", viewer.body, viewer.headers);
    expect(refused.json).toMatchObject({ response_type: "ephemeral" });
    expect(refused.json["text"]).toContain("vic holds viewer");
  });

  it("slash command: a request used on one replica is refused as replayed by a second replica", async () => {
    const second = await startKillSwitchService(await config());
    try {
      // A status query: signed and replay-guarded like an activation, without changing the state.
      const once = slack("status", "U0NCALL");
      const first = await post("/api/slack/command", once.body, once.headers);
      expect(first.status).toBe(200);
      const res = await fetch(`http://127.0.0.1:${second.opsPort}/api/slack/command`, {
        method: "POST",
        body: once.body,
        headers: once.headers,
      });
      expect({ status: res.status, json: await res.json() }).toMatchObject({
        status: 401,
        json: { error: "replayed" },
      });
    } finally {
      await second.stop();
    }
  });
});

describe("acknowledgement, two-person resume, restart", () => {
  it("Status lists who confirmed; resume needs two roles; state and pending survive a restart", async () => {
    const policyToken = await token("policy", [], "service");
    const status0 = await grpc(policyToken).status({});
    const epoch = status0.epoch;
    expect(status0.scopes.map((s) => [s.scope?.value, s.active])).toEqual([
      ["bot-1", true],
      ["ENVIRONMENT_STAGING", true],
    ]);
    await grpc(policyToken).acknowledge({ epoch, instanceId: "policy-a" });
    await grpc(policyToken).acknowledge({ epoch: epoch - 1, instanceId: "policy-b" });
    await expect
      .poll(async () =>
        (await grpc(policyToken).status({})).consumers.map((c) => [
          c.acknowledgement?.instanceId,
          c.confirmed,
        ]),
      )
      .toEqual([
        ["policy-a", true],
        ["policy-b", false],
      ]);

    const review = {
      reviewRef: "INC-9",
      rootCause: "bad prompt",
      prevention: "eval gate",
      reEnableAgents: [],
      scopes: [],
    };
    const eng = grpc(await token("erin", ["engineering-lead"]));
    const first = await eng.deactivate({ epoch, ...review });
    expect(first).toMatchObject({ deactivated: false, missingRoles: ["security-lead"] });
    const twice = await grpcError(eng.deactivate({ epoch, ...review }));
    expect(twice.code).toBe(Status.PERMISSION_DENIED);
    expect(twice.details).toContain("erin already approved");
    const eng2 = await grpcError(
      grpc(await token("eve", ["engineering-lead"])).deactivate({ epoch, ...review }),
    );
    expect(eng2.details).toContain("needs a person holding security-lead");

    await running.stop();
    running = await startKillSwitchService(await config());
    const after = await grpc(policyToken).status({});
    expect(after.state?.active).toBe(true);
    expect(after.state?.deactivationApprovals.map((a) => a.approver?.id)).toEqual(["erin"]);
    // The restarted service learns the consumers again from the stream (acknowledgements since the TTL).
    await expect
      .poll(async () =>
        (await grpc(policyToken).status({})).consumers.map((c) => c.acknowledgement?.instanceId),
      )
      .toEqual(["policy-a", "policy-b"]);

    const done = await grpc(await token("sam", ["security-lead"])).deactivate({ epoch, ...review });
    expect(done.deactivated).toBe(true);
    const final = await grpc(policyToken).status({});
    expect(final.epoch).toBe(epoch + 1);
    expect(final.scopes.map((s) => [s.scope?.value, s.active, s.needsReEnabling])).toEqual([
      ["bot-1", false, true],
      ["ENVIRONMENT_STAGING", false, false],
    ]);
    await expect.poll(() => broadcast).toContain(t.subjects.killswitch("deactivated"));
  });
});

describe("acknowledgements are re-checked against the subject's identity", () => {
  const ack = (subjectId: string, instanceId: string, consumer: { type: string; id: string }) =>
    createPublisher(nc, { source: "forger" }).publish(
      t.subjects.killswitchAcknowledged(subjectId),
      events.killswitchAcknowledged,
      {
        actor: {
          type: consumer.type === "ACTOR_TYPE_AI_AGENT" ? "ai_agent" : "service",
          id: consumer.id,
          roles: [],
        },
        data: events.killswitchAcknowledged.data.parse({
          acknowledgement: { instanceId, epoch: "1", consumer, acknowledgedAt: new Date().toISOString() },
        }),
      },
    );
  const refusals: string[] = [];
  beforeAll(() => {
    nc.subscribe(t.subjects.killswitch("refused"), {
      callback: (_err, m) => {
        const data = decodeEnvelope(m.data).data as { operation: string; reason: string };
        if (data.operation === "acknowledge") refusals.push(data.reason);
      },
    });
  });
  const listed = async () => {
    const bearer = await token("policy", [], "service");
    return (await grpc(bearer).status({})).consumers.map((c) => c.acknowledgement?.instanceId);
  };

  it("a payload instanceId other than the subject's, or an agent acknowledging as another, is refused and published", async () => {
    await ack("bot-7", "bot-8", { type: "ACTOR_TYPE_AI_AGENT", id: "bot-8" });
    await ack("bot-9", "bot-9", { type: "ACTOR_TYPE_AI_AGENT", id: "policy" });
    // Sentinel + control: a matching acknowledgement after both is counted.
    await ack("bot-10", "bot-10", { type: "ACTOR_TYPE_AI_AGENT", id: "bot-10" });
    await expect.poll(listed, { timeout: 10_000 }).toContain("bot-10");
    const now = await listed();
    expect(now).not.toContain("bot-8");
    expect(now).not.toContain("bot-9");
    await expect.poll(() => refusals.length, { timeout: 10_000 }).toBe(2);
    expect(refusals[0]).toMatch(/instanceId "bot-8" is not the subject's identity \(bot-7\)/);
    expect(refusals[1]).toMatch(/consumer.id "policy" is not the agent of the subject \(bot-9\)/);
  });
});
