// What the SDK's integration tests run against: the real policy and kill-switch services in-process
// on the shared NATS server (each test file its own namespace), a stand-in for the approval
// service's wire API (until the real service exists), and a loopback TCP proxy to cut an agent off.
import { mkdtemp, cp, rm } from "node:fs/promises";
import { connect as netConnect, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { createDevIssuer } from "@warden/identity";
import {
  connectNats,
  createPublisher,
  decodeEventAs,
  drainNats,
  events,
  parseEventDataBytes,
  provisionTopology,
  rpcBodies,
  serveRpc,
  topology,
} from "@warden/messaging";
import type {
  ActionExecutedData,
  ActionVerdictData,
  ApprovalStatus,
  ConsumeResponseData,
  VerdictResponseData,
  DecisionData,
  Envelope,
  Topology,
} from "@warden/messaging";
import type { RunningKillSwitchService } from "@warden/kill-switch";
import type { RunningPolicyService } from "@warden/policy/start";
import { natsCredentials, natsCredsFile, testServers, uniqueName } from "@warden/testing";
import { pino } from "pino";
import { connect } from "../src/index.ts";
import type { ConnectOptions, WardenAgent } from "../src/index.ts";

export const silent = pino({ level: "silent" });
export const WAIT = { timeout: 15_000, interval: 20 } as const;
const governance = join(import.meta.dirname, "..", "..", "..", "governance");

async function credsEnv(identity: string, namespace: string): Promise<Record<string, string>> {
  const file = await natsCredsFile(identity, { namespace });
  return file === undefined ? {} : { NATS_CREDS: file };
}

/** The SDK's connect with the agent's own NATS credentials (the harness runs NATS with auth on). */
export async function agentConnect(options: ConnectOptions): Promise<WardenAgent> {
  const file = await natsCredsFile(`agent:${options.agentId}`, { namespace: options.namespace ?? "" });
  return connect({ ...options, ...(file !== undefined && { credentials: { credsFile: file } }) });
}

export type Warden = {
  readonly t: Topology;
  readonly natsUrl: string;
  /** A connection of the test's own (observing events, writing the KV). */
  readonly nc: NatsConnection;
  readonly policy: RunningPolicyService | undefined;
  readonly killSwitch: RunningKillSwitchService | undefined;
  stop(): Promise<void>;
};

/**
 * A namespace on the shared NATS server with its topology provisioned, and the real services the
 * test asks for, in-process.
 */
export async function startWarden(options: { policy?: boolean; killSwitch?: boolean } = {}): Promise<Warden> {
  const t = topology(uniqueName("sdk").toLowerCase());
  const natsUrl = testServers().natsUrl;
  const dir = await mkdtemp(join(tmpdir(), "warden-sdk-"));
  const keyFile = join(dir, "dev-issuer.pem");
  await createDevIssuer({ issuer: "warden-test", audience: "warden", keyFile });
  const nc = await connectNats({
    servers: natsUrl,
    name: "sdk-test",
    ...(await natsCredentials("test-admin")),
  });
  await provisionTopology(nc, t);
  const common = {
    NATS_URL: natsUrl,
    WARDEN_NAMESPACE: t.namespace,
    GRPC_HOST: "127.0.0.1",
    GRPC_INSECURE: "true",
    GRPC_PORT: "0",
    OPS_HOST: "127.0.0.1",
    OPS_PORT: "0",
    JWT_ISSUER: "warden-test",
    JWT_DEV_KEY_FILE: keyFile,
    LOG_LEVEL: "silent",
  };
  let policy: RunningPolicyService | undefined;
  let killSwitch: RunningKillSwitchService | undefined;
  if (options.policy ?? true) {
    const bundleDir = join(dir, "bundle");
    await cp(governance, bundleDir, { recursive: true });
    const { loadConfig } = await import("@warden/policy/config");
    const { startPolicyService } = await import("@warden/policy/start");
    policy = await startPolicyService(
      loadConfig({
        ...common,
        ...(await credsEnv("service:policy", t.namespace)),
        POLICY_BUNDLE_DIR: bundleDir,
        KILLSWITCH_LEASE: "5s",
      }),
    );
  }
  if (options.killSwitch ?? false) {
    const ks = await import("@warden/kill-switch");
    killSwitch = await ks.startKillSwitchService(
      ks.loadConfig({ ...common, ...(await credsEnv("service:kill-switch", t.namespace)) }),
    );
  }
  return {
    t,
    natsUrl,
    nc,
    policy,
    killSwitch,
    async stop() {
      await killSwitch?.stop();
      await policy?.stop();
      const jsm = await jetstreamManager(nc);
      for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`]) {
        await jsm.streams.delete(name).catch(() => undefined);
      }
      await drainNats(nc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Collects one subject's envelopes of one event type (core subscription). */
export function collect<T>(
  nc: NatsConnection,
  subject: string,
  definition: Parameters<typeof decodeEventAs<T>>[1],
): { seen: Envelope<T>[]; sub: Subscription } {
  const seen: Envelope<T>[] = [];
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (!err) seen.push(decodeEventAs(msg.data, definition));
    },
  });
  return { seen, sub };
}

export function executedOf(seen: Envelope<ActionExecutedData>[], actionId: string) {
  return seen.find((e) => e.actionId === actionId);
}

/**
 * A STAND-IN for the approval service's wire API (the real service is being built alongside; the
 * integrator switches these tests to it). It implements what proto/warden/approval/v1 documents
 * and nothing more: it learns approval-required decisions from warden.decision.approval_required.*,
 * publishes warden.action.verdict.<outcome>.<agent> when the test decides, and serves
 * wardenrpc.approval.consume.<agent> with the single-use semantics of ConsumeRequest: consumed
 * once, only by the agent it was granted to, only for the request digest it is bound to. On
 * `serveVerdicts()` it also answers wardenrpc.approval.verdict.<agent> (the read-back of a missed
 * verdict, the agent's own actions only); until then nobody serves it (the control).
 */
export type ApprovalStandIn = {
  /** Resolves once the approval-required decision for this action has been seen. */
  seen(actionId: string): Promise<DecisionData>;
  /**
   * Approves (verdict PROCEED, status APPROVED), once the decision has been seen: the agent may
   * have the policy's reply before this connection has the decision event.
   */
  approve(actionId: string): Promise<void>;
  /** Ends the approval without a go-ahead (verdict ABORT). */
  refuse(actionId: string, status: ApprovalStatus, reason: string): Promise<void>;
  /** Approve as soon as the decision is seen (maybe before the agent has its reply). */
  autoApprove: Set<string>;
  /** Approves without publishing the verdict: only the read-back RPC can tell the agent. */
  approveSilently(actionId: string): Promise<void>;
  /** Starts / stops serving wardenrpc.approval.verdict.* (not served at start). */
  serveVerdicts(): Promise<void>;
  stopServingVerdicts(): void;
  /** Verdict read-back requests answered, by action id. */
  verdictCalls: Map<string, number>;
  /** Consume requests answered, by action id. */
  consumeCalls: Map<string, number>;
  stop(): Promise<void>;
};

type Held = {
  decision: DecisionData;
  status: ApprovalStatus;
  consumed: boolean;
};

export async function startApprovalStandIn(w: Warden): Promise<ApprovalStandIn> {
  const { t } = w;
  const nc = await connectNats({
    servers: w.natsUrl,
    name: "approval-stand-in",
    ...(await natsCredentials("service:approval", { namespace: t.namespace })),
  });
  const publisher = createPublisher(nc, { source: "approval-stand-in" });
  const held = new Map<string, Held>();
  const waiting = new Map<string, ((d: DecisionData) => void)[]>();
  const autoApprove = new Set<string>();
  const consumeCalls = new Map<string, number>();
  const verdictCalls = new Map<string, number>();
  let verdictRpc: { unsubscribe(): void } | undefined;

  const verdictData = (h: Held, go: boolean, status: ApprovalStatus, reason: string): ActionVerdictData => ({
    actionId: h.decision.actionId,
    agentId: h.decision.agentId,
    verdict: go ? "VERDICT_PROCEED" : "VERDICT_ABORT",
    status,
    reason,
    ...(h.decision.requestDigest !== undefined && { requestDigest: h.decision.requestDigest }),
    bundleDigest: h.decision.bundleDigest,
    decidedAt: new Date().toISOString(),
  });

  const verdict = async (actionId: string, go: boolean, status: ApprovalStatus, reason: string) => {
    const h = held.get(actionId);
    if (h === undefined) throw new Error(`stand-in has no approval for ${actionId}`);
    h.status = status;
    const data: ActionVerdictData = {
      actionId,
      agentId: h.decision.agentId,
      verdict: go ? "VERDICT_PROCEED" : "VERDICT_ABORT",
      status,
      reason,
      ...(h.decision.requestDigest !== undefined && { requestDigest: h.decision.requestDigest }),
      bundleDigest: h.decision.bundleDigest,
      decidedAt: new Date().toISOString(),
    };
    await publisher.publish(
      t.subjects.actionVerdict(go ? "proceed" : "abort", h.decision.agentId),
      events.actionVerdict,
      { actionId, data },
    );
  };

  const decisions = nc.subscribe(t.subjects.decisionApprovalRequired, {
    callback: (err, msg) => {
      if (err) return;
      const decision = decodeEventAs(msg.data, events.decisionMade).data;
      const known = held.get(decision.actionId);
      if (known === undefined) {
        held.set(decision.actionId, { decision, status: "APPROVAL_STATUS_PENDING", consumed: false });
      } else if (known.status === "APPROVAL_STATUS_APPROVED") {
        // Asked again for an approval already decided: its verdict again (one workflow per action).
        void verdict(decision.actionId, true, known.status, "already approved");
      }
      for (const resolve of waiting.get(decision.actionId) ?? []) resolve(decision);
      waiting.delete(decision.actionId);
      if (autoApprove.has(decision.actionId) && known === undefined)
        void verdict(decision.actionId, true, "APPROVAL_STATUS_APPROVED", "auto");
    },
  });

  const consume = serveRpc(nc, {
    subject: t.rpc.approvalConsumeAll,
    queue: "approval",
    log: silent,
    handler: ({ data, subject }): Promise<ConsumeResponseData> => {
      const agent = t.rpc.agentOfApprovalConsume(subject);
      const body = parseEventDataBytes(data, rpcBodies.consumeRequest, 64 * 1024);
      consumeCalls.set(body.actionId, (consumeCalls.get(body.actionId) ?? 0) + 1);
      const h = held.get(body.actionId);
      const refuse = (refusal: string, message: string) =>
        Promise.resolve({ consumed: false, refusal, message });
      if (h === undefined) return refuse("not_found", `no approval for ${body.actionId}`);
      if (h.decision.agentId !== agent) return refuse("wrong_agent", `granted to ${h.decision.agentId}`);
      if (h.decision.requestDigest !== body.requestDigest)
        return refuse("digest_mismatch", "the approval is bound to another request");
      if (h.status !== "APPROVAL_STATUS_APPROVED") return refuse("not_approved", h.status);
      if (h.consumed) return refuse("already_consumed", "an approval is used once");
      h.consumed = true;
      return Promise.resolve({ consumed: true });
    },
  });
  await nc.flush();

  const seen = (actionId: string): Promise<DecisionData> => {
    const h = held.get(actionId);
    if (h !== undefined) return Promise.resolve(h.decision);
    return new Promise((resolve) => waiting.set(actionId, [...(waiting.get(actionId) ?? []), resolve]));
  };

  return {
    autoApprove,
    consumeCalls,
    seen,
    async approve(actionId) {
      await seen(actionId);
      await verdict(actionId, true, "APPROVAL_STATUS_APPROVED", "quorum reached");
    },
    async approveSilently(actionId) {
      await seen(actionId);
      const h = held.get(actionId);
      if (h === undefined) throw new Error(`stand-in has no approval for ${actionId}`);
      h.status = "APPROVAL_STATUS_APPROVED";
    },
    verdictCalls,
    async serveVerdicts() {
      verdictRpc ??= serveRpc(nc, {
        subject: t.rpc.approvalVerdictAll,
        queue: "approval",
        log: silent,
        handler: ({ data, subject }): Promise<VerdictResponseData> => {
          const agent = t.rpc.agentOfApprovalVerdict(subject);
          const body = parseEventDataBytes(data, rpcBodies.verdictRequest, 4 * 1024);
          verdictCalls.set(body.actionId, (verdictCalls.get(body.actionId) ?? 0) + 1);
          const h = held.get(body.actionId);
          if (h === undefined || h.decision.agentId !== agent)
            return Promise.resolve({ state: "not_found", message: "no such approval of this agent" });
          if (h.status === "APPROVAL_STATUS_PENDING") return Promise.resolve({ state: "pending" });
          const go = h.status === "APPROVAL_STATUS_APPROVED";
          return Promise.resolve({ state: "decided", verdict: verdictData(h, go, h.status, h.status) });
        },
      });
      await nc.flush();
    },
    stopServingVerdicts() {
      verdictRpc?.unsubscribe();
      verdictRpc = undefined;
    },
    refuse: (actionId, status, reason) => verdict(actionId, false, status, reason),
    async stop() {
      decisions.unsubscribe();
      consume.unsubscribe();
      verdictRpc?.unsubscribe();
      await drainNats(nc);
    },
  };
}

/** A loopback TCP proxy in front of NATS: `cut()` drops every connection and refuses new ones. */
export type TcpProxy = {
  readonly url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
};

export async function startTcpProxy(natsUrl: string): Promise<TcpProxy> {
  const target = new URL(natsUrl);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = netConnect({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        const address = server.address();
        resolve(typeof address === "object" && address !== null ? address.port : port);
      });
    });
  const port = await listen(0);
  const closeServer = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server.listening) resolve();
      else server.close(() => resolve());
    });
  return {
    url: `nats://127.0.0.1:${port}`,
    cut: closeServer,
    async restore() {
      await listen(port);
    },
    close: closeServer,
  };
}
