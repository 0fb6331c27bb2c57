// The agent's client: ask before acting (request), act only when allowed or approved (guard), and
// follow the emergency stop. It speaks only NATS — the public wire (proto3 JSON, topology subjects).
//
// Fail closed: every reason not to act is an error (errors.ts); nothing runs on a doubt.
//
// Verdicts across a reconnect: the client subscribes to its verdict subject once, at connect, and
// registers each action's waiter BEFORE it asks the policy, so a verdict published right after the
// decision is never missed. The subscription is core NATS: nats.js re-subscribes after a reconnect,
// but a verdict published while the connection was down is not redelivered by it. So on every
// reconnect, while waiters are pending, and once more shortly before a wait would time out, the
// client asks the approval service for the verdict (wardenrpc.approval.verdict.<agent>, its own
// actions only). If that read fails too (no responder, pending, an error), the waiter keeps waiting
// until its deadline and fails with RequestTimeoutError("verdict") — closed, never open.
import { randomBytes, randomUUID } from "node:crypto";
import { trace } from "@opentelemetry/api";
import {
  errors as natsErrors,
  headers as natsHeaders,
  NoRespondersError as NatsNoResponders,
  RequestError as NatsRequestError,
  TimeoutError as NatsTimeout,
} from "@nats-io/transport-node";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import {
  buildEvent,
  connectNats,
  createPublisher,
  decodeEventAs,
  drainNats,
  events,
  InvalidMessageError,
  parseEventData,
  rpcBodies,
  RpcReply,
  topology,
  watchStopState,
} from "@warden/messaging";
import type {
  ActionExecutedData,
  ActionRequestData,
  ActionVerdictData,
  Actor,
  DecisionData,
  FieldIssue,
  StopStateWatcher,
  StopView,
  Topology,
} from "@warden/messaging";
import { pino } from "pino";
import type { Logger } from "pino";
import { canonicalDigest, stopRefusal, toWireRequest } from "./action.ts";
import type { Action, AgentPlace } from "./action.ts";
import {
  AbortedError,
  ApprovalRefusedError,
  ClosedError,
  ConsumeRefusedError,
  DeniedError,
  GarbageReplyError,
  InvalidActionError,
  NoRespondersError,
  RequestTimeoutError,
  ServiceError,
  WardenRefusal,
} from "./errors.ts";
import type { Responder, StopStateUnknownError, StoppedError } from "./errors.ts";

export const DEFAULT_LEASE_MS = 2_000;
export const DEFAULT_RPC_TIMEOUT_MS = 2_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 15 * 60_000;

export type Credentials = { credsFile: string } | { token: string };

export type ConnectOptions = {
  /** The agent's identity: the last token of the subjects it asks on (NATS permissions bind it). */
  agentId: string;
  natsUrl: string | string[];
  /** A NATS creds file or token; none for an open development server. */
  credentials?: Credentials | undefined;
  /** The Warden installation's topology namespace (default none). */
  namespace?: string | undefined;
  /** Where the agent runs: an emergency stop of this environment or service stops it. */
  environment?: string | undefined;
  service?: string | undefined;
  /** How long a confirmed emergency-stop state counts without a new confirmation (default 2 s). */
  leaseMs?: number | undefined;
  /** The actor type the agent's events carry (default `ai_agent`). */
  agentType?: "ai_agent" | "service" | undefined;
  /** Timeout of each RPC (policy, approval), within the request's own deadline (default 2 s). */
  rpcTimeoutMs?: number | undefined;
  /**
   * Acknowledgements name this instance (default the agent id: NATS permissions let an agent publish
   * only `warden.killswitch.acknowledged.<its id>`, so replicas of one agent confirm as one).
   */
  instanceId?: string | undefined;
  /** Wait between reconnect attempts (nats.js default 2 s). */
  reconnectTimeWaitMs?: number | undefined;
  /** Default: silent. */
  logger?: Logger | undefined;
};

export type RequestOptions = {
  /** Deadline for the whole call, including the wait for an approval's verdict (default 15 min). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Called with the policy's decision as soon as it arrives (before any wait for a verdict). */
  onDecision?: ((decision: DecisionData) => void) | undefined;
};

/** What the agent may do, once the policy (and, when needed, the approvers) said so. */
export type RequestResult =
  | { outcome: "allowed"; actionId: string; request: ActionRequestData; decision: DecisionData }
  | {
      outcome: "approved";
      actionId: string;
      request: ActionRequestData;
      decision: DecisionData;
      verdict: ActionVerdictData;
    }
  | { outcome: "denied"; actionId: string; request: ActionRequestData; decision: DecisionData }
  | {
      /** Rejected, blocked, expired, changes requested: the verdict says which (`status`). */
      outcome: "refused";
      actionId: string;
      request: ActionRequestData;
      decision: DecisionData;
      verdict: ActionVerdictData;
    };

export type GuardOptions = RequestOptions & {
  /** The prompt that led to the action: recorded as its digest only (`ai.promptDigest`). */
  prompt?: string | undefined;
};

export type WardenAgent = {
  readonly agentId: string;
  readonly instanceId: string;
  readonly topology: Topology;
  /** Asks the policy; waits for the verdict when approval is required. Throws WardenRefusal on doubt. */
  request(action: Action, options?: RequestOptions): Promise<RequestResult>;
  /**
   * Runs `fn(signal)` only when allowed, or approved and the approval consumed; reports the outcome
   * (warden.action.executed). The signal aborts on an emergency stop (reason: the StoppedError or
   * StopStateUnknownError) and when the caller's signal does. Resolves to fn's result.
   */
  guard<T>(action: Action, fn: (signal: AbortSignal) => Promise<T> | T, options?: GuardOptions): Promise<T>;
  /** The emergency-stop state as this agent enforces it (unknown once the lease ran out). */
  stopState(): StopView;
  /** Aborts running guarded actions (ClosedError), stops watching, drains the connection. */
  close(): Promise<void>;
};

type VerdictWaiter = {
  promise: Promise<ActionVerdictData>;
  settle: (result: { verdict: ActionVerdictData } | { error: Error }) => void;
};

const encoder = new TextEncoder();

/** The active span's W3C traceparent, or a new trace for this action (one trace per action). */
function traceparentForAction(): string {
  const span = trace.getActiveSpan()?.spanContext();
  if (span !== undefined && /^[0-9a-f]{32}$/.test(span.traceId) && !/^0+$/.test(span.traceId)) {
    return `00-${span.traceId}-${span.spanId}-${span.traceFlags.toString(16).padStart(2, "0")}`;
  }
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
}

function isNoResponders(err: unknown): boolean {
  return (
    err instanceof NatsNoResponders ||
    (err instanceof NatsRequestError && err.isNoResponders()) ||
    (err instanceof Error && err.cause instanceof NatsNoResponders)
  );
}

function isTimeout(err: unknown): boolean {
  return err instanceof NatsTimeout || (err instanceof Error && err.cause instanceof NatsTimeout);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, actionId: string): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError(actionId, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(actionId, signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export async function connect(options: ConnectOptions): Promise<WardenAgent> {
  const { agentId } = options;
  const t = topology(options.namespace ?? "");
  const log = options.logger ?? pino({ level: "silent" });
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const rpcTimeoutMs = options.rpcTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  // The agent's id: NATS permissions let an agent acknowledge only as itself.
  const instanceId = options.instanceId ?? agentId;
  const place: AgentPlace = { agentId, environment: options.environment, service: options.service };
  const actor: Actor = { type: options.agentType ?? "ai_agent", id: agentId, roles: [] };
  const credentials = options.credentials;

  const nc: NatsConnection = await connectNats({
    servers: options.natsUrl,
    name: `agent:${agentId}`,
    inboxPrefix: t.agentInbox(agentId),
    reconnectTimeWaitMs: options.reconnectTimeWaitMs,
    ...(credentials !== undefined && "credsFile" in credentials && { credsFile: credentials.credsFile }),
    ...(credentials !== undefined && "token" in credentials && { token: credentials.token }),
  });
  const publisher = createPublisher(nc, { source: `agent/${agentId}` });
  let closed = false;

  // Running guarded actions, aborted when a stop covers them.
  const running = new Set<{ controller: AbortController; request: ActionRequestData }>();
  const enforce = (view: StopView): void => {
    for (const run of running) {
      const refusal = stopRefusal(view, place, run.request, run.request.actionId);
      if (refusal !== undefined && !run.controller.signal.aborted) {
        log.warn({ actionId: run.request.actionId, reason: refusal.message }, "aborting guarded action");
        run.controller.abort(refusal);
      }
    }
  };
  // onChange runs before the watcher acknowledges the epoch: covered actions are aborted first.
  const stopWatcher: StopStateWatcher = await watchStopState(nc, t, {
    log,
    leaseMs,
    onChange: enforce,
    acknowledge: { publisher, instanceId, consumer: actor },
  });
  // The lease running out is not a change the watcher reports: look often.
  const leaseTimer = setInterval(
    () => enforce(stopWatcher.current()),
    Math.max(10, Math.min(50, Math.floor(leaseMs / 20))),
  );
  leaseTimer.unref();

  // Verdicts: one subscription for the agent, a waiter per action registered before it asks.
  const waiters = new Map<string, VerdictWaiter>();
  const onVerdict = (msg: { subject: string; data: Uint8Array }): void => {
    let verdict: ActionVerdictData;
    try {
      const envelope = decodeEventAs(msg.data, events.actionVerdict);
      verdict = envelope.data;
      if (envelope.actionId !== verdict.actionId || verdict.agentId !== agentId) {
        waiters.get(verdict.actionId)?.settle({
          error: new GarbageReplyError(
            "verdict",
            [{ field: "data.agentId", reason: `verdict is for ${verdict.agentId}, not ${agentId}` }],
            verdict.actionId,
          ),
        });
        return;
      }
    } catch (err) {
      const actionId = actionIdOf(msg.data);
      const waiter = actionId === undefined ? undefined : waiters.get(actionId);
      const issues: FieldIssue[] =
        err instanceof InvalidMessageError
          ? [...err.issues]
          : [{ field: "(message)", reason: (err as Error).message }];
      log.warn({ subject: msg.subject, issues }, "invalid verdict");
      waiter?.settle({ error: new GarbageReplyError("verdict", issues, actionId) });
      return;
    }
    waiters.get(verdict.actionId)?.settle({ verdict });
  };
  const verdictSub: Subscription = nc.subscribe(t.subjects.actionVerdictsOf(agentId), {
    callback: (err, msg) => {
      if (err) log.warn({ err }, "verdict subscription error");
      else onVerdict(msg);
    },
  });

  const expectVerdict = (actionId: string): VerdictWaiter => {
    let settle!: VerdictWaiter["settle"];
    const promise = new Promise<ActionVerdictData>((resolve, reject) => {
      settle = (result) => {
        waiters.delete(actionId);
        if ("verdict" in result) resolve(result.verdict);
        else reject(result.error);
      };
    });
    // A waiter nobody awaits (the decision was not approval_required) must not be an unhandled rejection.
    promise.catch(() => undefined);
    const waiter = { promise, settle };
    waiters.set(actionId, waiter);
    return waiter;
  };

  /** One RPC: no responders, timeouts, garbage and error replies each become their own error. */
  const rpc = async (
    responder: Responder,
    subject: string,
    body: unknown,
    traceparent: string,
    timeoutMs: number,
    actionId: string,
    signal: AbortSignal | undefined,
  ): Promise<unknown> => {
    const h = natsHeaders();
    h.set("traceparent", traceparent);
    let msg: Msg;
    try {
      msg = await abortable(
        nc.request(subject, encoder.encode(JSON.stringify(body)), { timeout: timeoutMs, headers: h }),
        signal,
        actionId,
      );
    } catch (err) {
      if (err instanceof WardenRefusal) throw err;
      if (isNoResponders(err)) throw new NoRespondersError(responder, subject, actionId, { cause: err });
      if (isTimeout(err)) throw new RequestTimeoutError(responder, timeoutMs, actionId, { cause: err });
      if (err instanceof natsErrors.ClosedConnectionError) throw new ClosedError(actionId);
      throw err;
    }
    let json: unknown;
    try {
      json = msg.json();
    } catch (err) {
      throw new GarbageReplyError(
        responder,
        [{ field: "(message)", reason: `not JSON: ${(err as Error).message}` }],
        actionId,
      );
    }
    const reply = RpcReply.safeParse(json);
    if (!reply.success) {
      throw new GarbageReplyError(
        responder,
        reply.error.issues.map((i) => ({ field: i.path.join(".") || "(message)", reason: i.message })),
        actionId,
      );
    }
    if (!reply.data.ok) {
      const { code, message, issues } = reply.data.error;
      if (code.startsWith("invalid_")) throw new InvalidActionError(issues, actionId);
      throw new ServiceError(responder, code, message, actionId);
    }
    return reply.data.result;
  };

  // A verdict missed while cut off is read back from the approval service: its own actions only (the
  // subject is the agent's; NATS permissions grant no other). Anything but a decided, well-formed
  // verdict leaves the waiter waiting: the deadline still fails it closed.
  const readBackVerdict = async (actionId: string, timeoutMs: number): Promise<void> => {
    const waiter = waiters.get(actionId);
    if (waiter === undefined || closed) return;
    const result = await rpc(
      "approval",
      t.rpc.approvalVerdict(agentId),
      { actionId, agentId },
      traceparentForAction(),
      timeoutMs,
      actionId,
      undefined,
    );
    let answer;
    try {
      answer = parseEventData(rpcBodies.verdictResponse, result, "result");
    } catch (err) {
      if (err instanceof InvalidMessageError) {
        waiters.get(actionId)?.settle({ error: new GarbageReplyError("verdict", err.issues, actionId) });
        return;
      }
      throw err;
    }
    if (answer.state !== "decided" || answer.verdict === undefined) {
      log.info({ actionId, state: answer.state }, "no verdict to read back yet");
      return;
    }
    const verdict = answer.verdict;
    if (verdict.actionId !== actionId || verdict.agentId !== agentId) {
      waiters.get(actionId)?.settle({
        error: new GarbageReplyError(
          "verdict",
          [{ field: "result.verdict", reason: `is about ${verdict.agentId}/${verdict.actionId}` }],
          actionId,
        ),
      });
      return;
    }
    log.info({ actionId, verdict: verdict.verdict }, "verdict read back from the approval service");
    waiters.get(actionId)?.settle({ verdict });
  };
  const readBackQuietly = (actionId: string, timeoutMs: number): void => {
    readBackVerdict(actionId, timeoutMs).catch((err: unknown) =>
      log.warn({ err, actionId }, "cannot read the verdict back"),
    );
  };
  /** Actions whose decision said approval_required: only their verdicts are worth reading back. */
  const awaitingVerdict = new Set<string>();
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "reconnect" && !closed) {
        for (const actionId of awaitingVerdict) readBackQuietly(actionId, rpcTimeoutMs);
      }
    }
  })();

  const refuseIfStopped = (request: ActionRequestData): void => {
    const refusal: StoppedError | StopStateUnknownError | undefined = stopRefusal(
      stopWatcher.current(),
      place,
      request,
      request.actionId,
    );
    if (refusal !== undefined) throw refusal;
  };

  const decisionOf = (result: unknown, request: ActionRequestData, digest: string): DecisionData => {
    let decision: DecisionData;
    try {
      decision = parseEventData(events.decisionMade, result, "result");
    } catch (err) {
      if (err instanceof InvalidMessageError)
        throw new GarbageReplyError("policy", err.issues, request.actionId);
      throw err;
    }
    const issues: FieldIssue[] = [];
    if (decision.actionId !== request.actionId)
      issues.push({ field: "result.actionId", reason: `is ${decision.actionId}, asked ${request.actionId}` });
    if (decision.agentId !== agentId)
      issues.push({ field: "result.agentId", reason: `is ${decision.agentId}, asked as ${agentId}` });
    if (decision.requestDigest !== undefined && decision.requestDigest !== digest)
      issues.push({ field: "result.requestDigest", reason: "is not the digest of the request asked" });
    if (issues.length > 0) throw new GarbageReplyError("policy", issues, request.actionId);
    return decision;
  };

  const waitForVerdict = async (
    waiter: VerdictWaiter,
    actionId: string,
    digest: string,
    remainingMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ActionVerdictData> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RequestTimeoutError("verdict", remainingMs, actionId)),
        remainingMs,
      );
    });
    // Shortly before the deadline, ask once whether a verdict was missed (within what is left).
    const askTimeoutMs = Math.max(1, Math.min(rpcTimeoutMs, Math.floor(remainingMs / 2)));
    const lastCall = setTimeout(() => readBackQuietly(actionId, askTimeoutMs), remainingMs - askTimeoutMs);
    awaitingVerdict.add(actionId);
    try {
      const verdict = await abortable(Promise.race([waiter.promise, timeout]), signal, actionId);
      if (
        verdict.requestDigest !== undefined &&
        verdict.requestDigest !== "" &&
        verdict.requestDigest !== digest
      ) {
        throw new GarbageReplyError(
          "verdict",
          [{ field: "data.requestDigest", reason: "is not the digest of the request asked" }],
          actionId,
        );
      }
      return verdict;
    } finally {
      clearTimeout(timer);
      clearTimeout(lastCall);
      awaitingVerdict.delete(actionId);
    }
  };

  const request = async (
    action: Action,
    opts: RequestOptions = {},
    traceparent = traceparentForAction(),
  ): Promise<RequestResult> => {
    const actionId = action.actionId ?? randomUUID();
    if (closed) throw new ClosedError(actionId);
    if (opts.signal?.aborted) throw new AbortedError(actionId, opts.signal.reason);
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    const wire = toWireRequest(agentId, actionId, { ...action, actionId });
    refuseIfStopped(wire);
    const digest = canonicalDigest(wire) ?? "";
    const waiter = expectVerdict(actionId); // before asking: a fast verdict is never missed
    try {
      const remaining = () => Math.max(1, deadline - Date.now());
      const result = await rpc(
        "policy",
        t.rpc.policyEvaluate(agentId),
        wire,
        traceparent,
        Math.min(rpcTimeoutMs, remaining()),
        actionId,
        opts.signal,
      );
      const decision = decisionOf(result, wire, digest);
      opts.onDecision?.(decision);
      const base = { actionId, request: wire, decision };
      switch (decision.outcome) {
        case "OUTCOME_ALLOW":
          return { outcome: "allowed", ...base };
        case "OUTCOME_DENY":
          return { outcome: "denied", ...base };
        case "OUTCOME_APPROVAL_REQUIRED": {
          const verdict = await waitForVerdict(waiter, actionId, digest, remaining(), opts.signal);
          const go = verdict.verdict === "VERDICT_PROCEED" && verdict.status === "APPROVAL_STATUS_APPROVED";
          return go ? { outcome: "approved", ...base, verdict } : { outcome: "refused", ...base, verdict };
        }
        default:
          throw new GarbageReplyError(
            "policy",
            [{ field: "result.outcome", reason: `${String(decision.outcome)} is no outcome` }],
            actionId,
          );
      }
    } finally {
      waiters.delete(actionId);
    }
  };

  const consume = async (
    decided: Extract<RequestResult, { outcome: "approved" }>,
    traceparent: string,
    signal: AbortSignal | undefined,
  ): Promise<void> => {
    const { actionId } = decided;
    const body = {
      actionId,
      requestDigest: decided.decision.requestDigest ?? canonicalDigest(decided.request),
      agentId, // re-checked by the approval service against the subject's identity
    };
    const result = await rpc(
      "approval",
      t.rpc.approvalConsume(agentId),
      body,
      traceparent,
      rpcTimeoutMs,
      actionId,
      signal,
    );
    let response;
    try {
      response = parseEventData(rpcBodies.consumeResponse, result, "result");
    } catch (err) {
      if (err instanceof InvalidMessageError) throw new GarbageReplyError("approval", err.issues, actionId);
      throw err;
    }
    if (response.consumed !== true) {
      throw new ConsumeRefusedError(response.refusal ?? "unspecified", response.message ?? "", actionId);
    }
  };

  /**
   * Publishes warden.action.executed. A failure is logged, not thrown: the action already ran, and
   * its result belongs to the caller (the README says so).
   */
  const report = async (data: ActionExecutedData, traceparent: string): Promise<void> => {
    try {
      const envelope = buildEvent(events.actionExecuted, {
        source: `agent/${agentId}`,
        actor,
        actionId: data.actionId,
        traceparent,
        data,
      });
      await publisher.publishEnvelope(t.subjects.actionExecuted(agentId), envelope);
    } catch (err) {
      log.error({ err, actionId: data.actionId }, "cannot report the action's outcome");
    }
  };

  const guard = async <T>(
    action: Action,
    fn: (signal: AbortSignal) => Promise<T> | T,
    opts: GuardOptions = {},
  ): Promise<T> => {
    const traceparent = traceparentForAction();
    const decided = await request(action, opts, traceparent);
    if (decided.outcome === "denied") throw new DeniedError(decided.decision);
    if (decided.outcome === "refused") throw new ApprovalRefusedError(decided.verdict);
    if (decided.outcome === "approved") {
      // Never spend an approval the agent may not use now (a stop came during the wait).
      refuseIfStopped(decided.request);
      await consume(decided, traceparent, opts.signal);
    }
    // The stop may have come while the approval was consumed: look again, last thing before acting.
    refuseIfStopped(decided.request);
    if (closed) throw new ClosedError(decided.actionId);

    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(new AbortedError(decided.actionId, opts.signal?.reason));
    if (opts.signal?.aborted) onCallerAbort();
    opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
    const run = { controller, request: decided.request };
    running.add(run);

    const ai = {
      ...decided.request.ai,
      ...(opts.prompt !== undefined && { promptDigest: canonicalDigest(opts.prompt) }),
    };
    const startedAt = new Date();
    const started = performance.now();
    let outcome: ActionExecutedData["outcome"];
    let value: T | undefined;
    let failure: unknown;
    let failed = false;
    try {
      value = await fn(controller.signal);
      outcome = "EXECUTION_OUTCOME_SUCCEEDED";
    } catch (err) {
      failed = true;
      failure = err;
      outcome = controller.signal.aborted ? "EXECUTION_OUTCOME_ABORTED" : "EXECUTION_OUTCOME_FAILED";
    } finally {
      running.delete(run);
      opts.signal?.removeEventListener("abort", onCallerAbort);
    }
    const finishedAt = new Date();
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : failure;
    const resultDigest = failed ? undefined : canonicalDigest(value);
    await report(
      {
        actionId: decided.actionId,
        agentId,
        outcome,
        durationMs: performance.now() - started,
        ...(resultDigest !== undefined && { resultDigest }),
        ...(failed && { error: (reason instanceof Error ? reason.message : String(reason)).slice(0, 4096) }),
        ...(decided.decision.requestDigest !== undefined && {
          requestDigest: decided.decision.requestDigest,
        }),
        ...(decided.outcome === "approved" && { approved: true }),
        ...(Object.keys(ai).length > 0 && { ai }),
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
      },
      traceparent,
    );
    if (failed) {
      // Aborted by a stop or the caller: the refusal, with what fn threw as its cause.
      if (controller.signal.aborted && reason instanceof WardenRefusal) {
        if (reason !== failure && reason.cause === undefined) Object.assign(reason, { cause: failure });
        throw reason;
      }
      throw failure;
    }
    return value as T;
  };

  return {
    agentId,
    instanceId,
    topology: t,
    request: (action, opts) => request(action, opts),
    guard,
    stopState: () => stopWatcher.current(),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(leaseTimer);
      for (const run of running) run.controller.abort(new ClosedError(run.request.actionId));
      for (const [actionId, waiter] of waiters) waiter.settle({ error: new ClosedError(actionId) });
      verdictSub.unsubscribe();
      await stopWatcher.close();
      await drainNats(nc);
    },
  };
}

/** The action id of a message that failed validation, if it can be read at all. */
function actionIdOf(bytes: Uint8Array): string | undefined {
  try {
    const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof json !== "object" || json === null) return undefined;
    const envelope = json as { actionId?: unknown; data?: { actionId?: unknown } };
    const id = envelope.actionId ?? envelope.data?.actionId;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}
