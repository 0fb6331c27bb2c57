// libs/messaging against a real NATS server with JetStream (shared by the run, see @warden/testing).
import { trace } from "@opentelemetry/api";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createLogger, createTestTelemetry } from "@warden/telemetry";
import type { TestTelemetry } from "@warden/telemetry";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  buildEvent,
  connectNats,
  consumeEvents,
  createPublisher,
  decodeEnvelope,
  decodeEventAs,
  drainNats,
  events,
  provisionTopology,
  requestRpc,
  KILLSWITCH_STATE_KEY,
  RpcError,
  serveRpc,
  topology,
  topologyStreams,
  watchStopState,
} from "../src/index.ts";
import { Kvm } from "@nats-io/kv";
import type {
  ActionRequestData,
  Envelope,
  EventPublisher,
  InvalidEventData,
  RunningConsumer,
  StopStateWatcher,
  StopView,
} from "../src/index.ts";

const log = createLogger({ service: "messaging-test", level: "silent" });
const t = topology(uniqueName("msg").toLowerCase());
let nc: NatsConnection;
let publisher: EventPublisher;
let telemetry: TestTelemetry;

const request = (actionId: string): ActionRequestData => ({
  actionId,
  agentId: "kb-qa",
  action: "knowledge.search",
  environment: "ENVIRONMENT_DEVELOPMENT",
});

/** vi.waitFor / expect.poll options for a real server (their default timeout is 1 s). */
const WAIT = { timeout: 10_000, interval: 20 };

/** `value`, or a throw naming what is still missing (so vi.waitFor retries). */
function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`still waiting for ${what}`);
  return value;
}

/**
 * Waits until a durable consumer has nothing pending and nothing waiting for an ack: every message
 * published before the call has been handled and acked or terminated, so counts read afterwards are
 * final (the barrier; a redelivery needs an unacked message).
 */
async function consumerSettled(durable: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await expect
    .poll(async () => {
      const info = await jsm.consumers.info(t.streams.events, durable);
      return { pending: info.num_pending, ackPending: info.num_ack_pending };
    }, WAIT)
    .toEqual({ pending: 0, ackPending: 0 });
}

beforeAll(async () => {
  telemetry = createTestTelemetry("messaging-test");
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "messaging-test",
    ...(await natsCredentials("test-admin")),
  });
  publisher = createPublisher(nc, { source: "messaging-test" });
});

afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  for (const name of topologyStreams(t)) {
    await jsm.streams.delete(name).catch(() => undefined);
  }
  await drainNats(nc);
  await telemetry.shutdown();
});

describe("provisioning", () => {
  it("creates the streams and the buckets, and a second run is a no-op", async () => {
    const first = await provisionTopology(nc, t);
    expect(first.created.sort()).toEqual(
      [
        t.streams.audit,
        t.streams.events,
        `KV_${t.kv.killswitch}`,
        `KV_${t.kv.approvalLinks}`,
        `KV_${t.kv.killswitchReplays}`,
      ].sort(),
    );
    expect(topologyStreams(t).sort()).toEqual(first.created.sort());
    const jsm = await jetstreamManager(nc);
    const before = await jsm.streams.info(t.streams.events);

    const second = await provisionTopology(nc, t);
    expect(second).toEqual({
      created: [],
      updated: [],
      unchanged: expect.arrayContaining(first.created) as string[],
    });
    const after = await jsm.streams.info(t.streams.events);
    // Used approval links expire one by one (per-message TTL), so the bucket allows message TTLs.
    expect((await jsm.streams.info(`KV_${t.kv.approvalLinks}`)).config.allow_msg_ttl).toBe(true);
    expect((await jsm.streams.info(`KV_${t.kv.killswitchReplays}`)).config.allow_msg_ttl).toBe(true);
    expect(after.created).toEqual(before.created);
    expect(after.config.subjects).toEqual([t.subjects.allEvents]);
  });

  it("brings a drifted stream back to its spec", async () => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(t.streams.audit);
    await jsm.streams.update(t.streams.audit, { ...info.config, description: "tampered" });
    const report = await provisionTopology(nc, t);
    expect(report.updated).toEqual([t.streams.audit]);
    expect((await jsm.streams.info(t.streams.audit)).config.description).not.toBe("tampered");
  });
});

describe("publish and consume", () => {
  let consumer: RunningConsumer | undefined;
  let handled: Envelope<ActionRequestData>[];
  let failOnce: Set<string>;

  beforeEach(async () => {
    await provisionTopology(nc, t);
    handled = [];
    failOnce = new Set();
    await consumer?.stop();
    consumer = undefined;
  });
  afterAll(async () => {
    await consumer?.stop();
  });

  async function startConsumer(durable: string, reportEnvelopeFailures = false): Promise<void> {
    consumer = await consumeEvents({
      reportEnvelopeFailures,
      nc,
      topology: t,
      spec: { stream: t.streams.events, durable, filterSubjects: [t.subjects.actionRequestedAll] },
      decode: (bytes) => decodeEventAs(bytes, events.actionRequested),
      handler: async (event) => {
        if (failOnce.delete(event.data.actionId)) throw new Error("store briefly down");
        handled.push(event);
        await Promise.resolve();
      },
      publisher,
      log,
      retryDelayMs: 50,
    });
  }

  it("delivers a published event to a durable consumer once, acked", async () => {
    const durable = uniqueName("d1");
    await startConsumer(durable);
    await publisher.publish(t.subjects.actionRequested("kb-qa"), events.actionRequested, {
      actionId: "a-1",
      data: request("a-1"),
    });
    const got = await vi.waitFor(() => present(handled[0], "the event"), WAIT);
    expect(got.data).toEqual(request("a-1"));
    expect(got.actionId).toBe("a-1");
    // Acked (nothing left to redeliver), and handled exactly once by then.
    await consumerSettled(durable);
    expect(handled).toHaveLength(1);
  });

  it("de-duplicates a re-publish of the same event id", async () => {
    const subject = t.subjects.actionRequested("kb-qa");
    const first = await publisher.publish(subject, events.actionRequested, {
      id: "fixed-1",
      actionId: "a-2",
      data: request("a-2"),
    });
    const again = await publisher.publishEnvelope(subject, first.envelope);
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
  });

  it("redelivers after a handler failure, then acks", async () => {
    await startConsumer(uniqueName("d2"));
    failOnce.add("a-3");
    await publisher.publish(t.subjects.actionRequested("kb-qa"), events.actionRequested, {
      actionId: "a-3",
      data: request("a-3"),
    });
    await vi.waitFor(
      () =>
        present(
          handled.find((e) => e.data.actionId === "a-3"),
          "the retried event",
        ),
      WAIT,
    );
    expect(failOnce.size).toBe(0);
  });

  it("terminates a poison message once and reports it as warden.invalid.<reason>", async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const durable = uniqueName("d3");
    await startConsumer(durable, true);
    const garbage = await js.publish(t.subjects.actionRequested("kb-qa"), "{not json");
    const valid = buildEvent(events.actionRequested, {
      source: "x",
      actor: { type: "service", id: "x", roles: [] },
      actionId: "a-4",
      data: request("a-4"),
    });
    const mistyped = await js.publish(
      t.subjects.actionRequested("kb-qa"),
      JSON.stringify({ ...valid, data: { ...request("a-4"), environment: 7 } }),
    );
    // Control: a valid event after the poison is still handled.
    await publisher.publish(t.subjects.actionRequested("kb-qa"), events.actionRequested, {
      actionId: "a-5",
      data: request("a-5"),
    });
    await vi.waitFor(
      () =>
        present(
          handled.find((e) => e.data.actionId === "a-5"),
          "the valid event after the poison",
        ),
      WAIT,
    );

    const lastOn = async (subject: string): Promise<Uint8Array> => {
      const stored = await jsm.streams.getMessage(t.streams.events, { last_by_subj: subject });
      if (stored === null) throw new Error(`nothing stored on ${subject}`);
      return stored.data;
    };
    const report = decodeEventAs(await lastOn(t.subjects.invalid("malformed_json")), events.invalidMessage);
    expect(report.data).toMatchObject({
      reason: "malformed_json",
      originalSubject: t.subjects.actionRequested("kb-qa"),
      streamSeq: garbage.seq,
    });
    const schemaReport = decodeEventAs(await lastOn(t.subjects.invalid("schema")), events.invalidMessage);
    expect(schemaReport.data.streamSeq).toBe(mistyped.seq);
    expect(schemaReport.data.field).toBe("data.environment");

    // Terminated, not redelivered: nothing pending or waiting for an ack on the consumer.
    await consumerSettled(durable);
    const ids = handled.map((e) => e.data.actionId);
    expect(ids).toContain("a-5");
    expect(ids).not.toContain("a-4");
  });

  it("orderingKey: one key's messages in stream order, other keys in parallel, each acked after its handler", async () => {
    const durable = uniqueName("dkeyed");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const keyed = await consumeEvents({
      nc,
      topology: t,
      spec: {
        stream: t.streams.events,
        durable,
        // Only this test's subjects (the stream holds the earlier tests' requests too).
        filterSubjects: [t.subjects.actionRequested("slow"), t.subjects.actionRequested("fast")],
      },
      decode: (bytes) => decodeEventAs(bytes, events.actionRequested),
      handler: async (event) => {
        if (event.data.actionId === "slow-1") await gate;
        order.push(event.data.actionId);
      },
      publisher,
      log,
      // Two handler slots: slow-1 holds one; slow-2, waiting behind it, must not hold the other.
      concurrency: 2,
      orderingKey: (subject) => subject.slice(subject.lastIndexOf(".") + 1),
    });
    try {
      const publish = (agent: string, actionId: string) =>
        publisher.publish(t.subjects.actionRequested(agent), events.actionRequested, {
          actionId,
          data: request(actionId),
        });
      await publish("slow", "slow-1");
      await publish("slow", "slow-2");
      for (const id of ["fast-1", "fast-2", "fast-3"]) await publish("fast", id);
      // The fast key ran past the blocked slow one (published after slow-2, dispatched after it).
      await vi.waitFor(() => expect(order).toEqual(["fast-1", "fast-2", "fast-3"]), WAIT);
      const jsm = await jetstreamManager(nc);
      // slow-1 is in its handler and slow-2 waits behind it: neither is acked.
      expect((await jsm.consumers.info(t.streams.events, durable)).num_ack_pending).toBe(2);
      release();
      await consumerSettled(durable);
      expect(order).toEqual(["fast-1", "fast-2", "fast-3", "slow-1", "slow-2"]);
    } finally {
      release();
      await keyed.stop();
    }
  });

  it("reports an undecodable envelope once on core NATS however many consumers reject it", async () => {
    const js = jetstream(nc);
    const reports: Envelope<InvalidEventData>[] = [];
    const sub = nc.subscribe(t.subjects.invalidAll, {
      callback: (_err, msg) => {
        reports.push(decodeEventAs(msg.data, events.invalidMessage));
      },
    });
    const auditLike = uniqueName("d4audit");
    const policyLike = uniqueName("d4policy");
    // The audit's role: every subject, envelope only, the designated envelope reporter.
    const all = await consumeEvents({
      nc,
      topology: t,
      spec: { stream: t.streams.events, durable: auditLike, filterSubjects: [t.subjects.allEvents] },
      decode: (bytes) => decodeEnvelope(bytes),
      handler: () => Promise.resolve(),
      publisher,
      log,
      reportEnvelopeFailures: true,
    });
    // The policy's role: one event type, data checked, one worker so it handles in stream order.
    const typed = await consumeEvents({
      nc,
      topology: t,
      spec: {
        stream: t.streams.events,
        durable: policyLike,
        filterSubjects: [t.subjects.actionRequestedAll],
      },
      decode: (bytes) => decodeEventAs(bytes, events.actionRequested),
      handler: () => Promise.resolve(),
      publisher,
      log,
      concurrency: 1,
    });
    try {
      const poison = await js.publish(t.subjects.actionRequested("kb-qa"), new Uint8Array([0xff, 0x00]));
      // Sentinel: a valid envelope with bad data, after the poison. Only the typed consumer rejects it,
      // and it handles the poison first: once its sentinel report is here, its poison report would be too.
      const envelope = buildEvent(events.actionRequested, {
        source: "x",
        actor: { type: "service", id: "x", roles: [] },
        actionId: "a-s",
        data: request("a-s"),
      });
      const sentinel = await js.publish(
        t.subjects.actionRequested("kb-qa"),
        JSON.stringify({ ...envelope, data: { ...request("a-s"), environment: "PROD" } }),
      );
      await vi.waitFor(
        () => {
          expect(reports.map((r) => [r.data.streamSeq, r.data.detectedBy])).toEqual(
            expect.arrayContaining([
              [poison.seq, auditLike],
              [sentinel.seq, policyLike],
            ]),
          );
        },
        { timeout: 10_000 },
      );
      const aboutPoison = reports.filter((r) => r.data.streamSeq === poison.seq);
      expect(aboutPoison).toHaveLength(1);
      expect(aboutPoison[0]?.id).toBe(`invalid-${t.streams.events}-${poison.seq}`);
      const aboutSentinel = reports.filter((r) => r.data.streamSeq === sentinel.seq);
      expect(aboutSentinel.map((r) => r.id)).toEqual([
        `invalid-${t.streams.events}-${sentinel.seq}-${policyLike}`,
      ]);
    } finally {
      sub.unsubscribe();
      await all.stop();
      await typed.stop();
    }
  });

  it("carries one trace from publish through consume", async () => {
    telemetry.reset();
    const durable = uniqueName("d5");
    await startConsumer(durable);
    const tracer = trace.getTracer("test");
    const { traceId, spanId } = await tracer.startActiveSpan("agent request", async (span) => {
      await publisher.publish(t.subjects.actionRequested("kb-qa"), events.actionRequested, {
        actionId: "a-6",
        data: request("a-6"),
      });
      span.end();
      return span.spanContext();
    });
    const got = await vi.waitFor(
      () =>
        present(
          handled.find((e) => e.data.actionId === "a-6"),
          "the traced event",
        ),
      WAIT,
    );
    expect(got.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    const processed = await vi.waitFor(
      () =>
        present(
          telemetry.spansNamed(`process ${durable}`).find((s) => s.spanContext().traceId === traceId),
          "a consumer span in the publisher's trace",
        ),
      WAIT,
    );
    expect(processed.parentSpanContext?.spanId).toBe(spanId);
  });

  it("continues the envelope's traceparent when the message carries no header (nats pub)", async () => {
    telemetry.reset();
    const durable = uniqueName("d6");
    await startConsumer(durable);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const spanId = "00f067aa0ba902b7";
    const envelope = buildEvent(events.actionRequested, {
      source: "nats-cli",
      actor: { type: "ai_agent", id: "kb-qa", roles: [] },
      actionId: "a-7",
      traceparent: `00-${traceId}-${spanId}-01`,
      data: request("a-7"),
    });
    // A bare JetStream publish, as `nats pub` sends it: no traceparent header.
    await jetstream(nc).publish(t.subjects.actionRequested("kb-qa"), JSON.stringify(envelope));
    await vi.waitFor(
      () =>
        present(
          handled.find((e) => e.data.actionId === "a-7"),
          "the event without a trace header",
        ),
      WAIT,
    );
    const processed = await vi.waitFor(
      () =>
        present(
          telemetry.spansNamed(`process ${durable}`).find((s) => s.spanContext().traceId === traceId),
          "a consumer span in the envelope's trace",
        ),
      WAIT,
    );
    expect(processed.parentSpanContext?.spanId).toBe(spanId);
    expect(processed.links).toEqual([]);
  });

  it("follows the header when header and envelope disagree, linking the envelope's trace", async () => {
    telemetry.reset();
    const durable = uniqueName("d7");
    await startConsumer(durable);
    const envelopeTrace = "4bf92f3577b34da6a3ce929d0e0e4737";
    const envelope = buildEvent(events.actionRequested, {
      source: "republisher",
      actor: { type: "service", id: "republisher", roles: [] },
      actionId: "a-8",
      traceparent: `00-${envelopeTrace}-00f067aa0ba902b8-01`,
      data: request("a-8"),
    });
    const tracer = trace.getTracer("test");
    const header = await tracer.startActiveSpan("re-publish", async (span) => {
      await publisher.publishEnvelope(t.subjects.actionRequested("kb-qa"), envelope);
      span.end();
      return span.spanContext();
    });
    await vi.waitFor(
      () =>
        present(
          handled.find((e) => e.data.actionId === "a-8"),
          "the re-published event",
        ),
      WAIT,
    );
    const processed = await vi.waitFor(
      () =>
        present(
          telemetry.spansNamed(`process ${durable}`).find((s) => s.spanContext().traceId === header.traceId),
          "a consumer span in the header's trace",
        ),
      WAIT,
    );
    expect(processed.parentSpanContext?.spanId).toBe(header.spanId);
    expect(processed.links.map((l) => l.context.traceId)).toEqual([envelopeTrace]);
  });
});

describe("request-reply", () => {
  it("answers through a queue group and maps errors with their code", async () => {
    const sub = serveRpc(nc, {
      subject: t.rpc.policyEvaluateAll,
      queue: "policy",
      log,
      handler: ({ data, subject }) => {
        const body = new TextDecoder().decode(data);
        if (body === "bad")
          return Promise.reject(new RpcError("invalid_argument", "request.action: required"));
        if (body === "boom") return Promise.reject(new Error("secret internals"));
        return Promise.resolve({ agent: t.rpc.agentOfPolicyEvaluate(subject), echo: body });
      },
    });
    const enc = new TextEncoder();
    expect(await requestRpc(nc, t.rpc.policyEvaluate("bot-1"), enc.encode("hi"))).toEqual({
      agent: "bot-1",
      echo: "hi",
    });
    await expect(requestRpc(nc, t.rpc.policyEvaluate("bot-1"), enc.encode("bad"))).rejects.toMatchObject({
      code: "invalid_argument",
      message: "request.action: required",
    });
    const internal = requestRpc(nc, t.rpc.policyEvaluate("bot-1"), enc.encode("boom"));
    await expect(internal).rejects.toMatchObject({ code: "internal", message: "internal error" });
    sub.unsubscribe();
  });
});

describe("emergency-stop state", () => {
  it("follows the KV state, failing closed on anything it cannot confirm", async () => {
    await provisionTopology(nc, t);
    const kv = await new Kvm(nc).open(t.kv.killswitch);
    let clock = 1_000_000;
    const watcher = await watchStopState(nc, t, { log, leaseMs: 5_000, refreshMs: 50, now: () => clock });
    try {
      // Never set: no stop.
      expect(watcher.current()).toEqual({ kind: "clear", epoch: 0 });

      await kv.put(
        KILLSWITCH_STATE_KEY,
        JSON.stringify({
          epoch: 3,
          active: true,
          scopes: [{ kind: "SCOPE_KIND_ENVIRONMENT", value: "production" }],
        }),
      );
      await expect.poll(() => watcher.current().kind, { ...WAIT, message: "the active stop" }).toBe("active");
      expect(watcher.current()).toEqual({
        kind: "active",
        epoch: 3,
        scopes: [{ kind: "environment", value: "production" }],
      });

      await kv.put(KILLSWITCH_STATE_KEY, "{garbage");
      await expect
        .poll(() => watcher.current().kind, { ...WAIT, message: "unknown after garbage" })
        .toBe("unknown");

      await kv.put(KILLSWITCH_STATE_KEY, JSON.stringify({ epoch: 4, active: false, scopes: [] }));
      await expect
        .poll(() => watcher.current().kind, { ...WAIT, message: "clear after resume" })
        .toBe("clear");

      // The lease runs out when no read confirms the state (reads keep failing once the bucket is gone).
      await (await jetstreamManager(nc)).streams.delete(`KV_${t.kv.killswitch}`);
      clock += 60_000;
      await expect
        .poll(() => watcher.current().kind, { ...WAIT, message: "unknown once unconfirmed" })
        .toBe("unknown");
      expect(watcher.current()).toMatchObject({ kind: "unknown" });
    } finally {
      await watcher.close();
    }
  });

  describe("a missing key is no stop only in a bucket that never held state", () => {
    const globalStop = JSON.stringify({ epoch: 9, active: true, scopes: [{ kind: "SCOPE_KIND_GLOBAL" }] });

    /** A bucket of its own (and a watcher on it) per case, removed afterwards. */
    async function withBucket(
      body: (
        kv: Awaited<ReturnType<Kvm["create"]>>,
        watch: () => ReturnType<typeof watchStopState>,
      ) => Promise<void>,
    ): Promise<void> {
      const own = topology(uniqueName("kv").toLowerCase());
      const kv = await new Kvm(nc).create(own.kv.killswitch, { history: 16 });
      const watchers: Awaited<ReturnType<typeof watchStopState>>[] = [];
      try {
        await body(kv, async () => {
          const w = await watchStopState(nc, own, { log, leaseMs: 60_000, refreshMs: 50 });
          watchers.push(w);
          return w;
        });
      } finally {
        for (const w of watchers) await w.close();
        await (await jetstreamManager(nc)).streams.delete(`KV_${own.kv.killswitch}`).catch(() => undefined);
      }
    }

    it("a fresh bucket, never written, is clear", async () => {
      await withBucket(async (_kv, watch) => {
        const watcher = await watch();
        expect(watcher.current()).toEqual({ kind: "clear", epoch: 0 });
      });
    });

    it("purging the bucket's stream under an active stop leaves the state unknown, not clear", async () => {
      await withBucket(async (kv, watch) => {
        await kv.put(KILLSWITCH_STATE_KEY, globalStop);
        const watcher = await watch();
        // Control: the stop is seen before the purge.
        expect(watcher.current()).toMatchObject({ kind: "active", epoch: 9 });
        const jsm = await jetstreamManager(nc);
        await jsm.streams.purge(`KV_${(await kv.status()).bucket}`);
        expect(await kv.get(KILLSWITCH_STATE_KEY)).toBeNull();
        await vi.waitFor(() => expect(watcher.current()).toMatchObject({ kind: "unknown" }), {
          timeout: 5_000,
        });
        expect(watcher.current()).toMatchObject({ reason: expect.stringContaining("purged") as string });
        // A watcher started after the purge does not read the empty bucket as "never set" either.
        const late = await watch();
        expect(late.current()).toMatchObject({ kind: "unknown" });
      });
    });

    it("a key deleted or purged through the KV API is unknown; a new state is followed again", async () => {
      await withBucket(async (kv, watch) => {
        await kv.put(KILLSWITCH_STATE_KEY, JSON.stringify({ epoch: 2, active: false, scopes: [] }));
        const watcher = await watch();
        expect(watcher.current()).toEqual({ kind: "clear", epoch: 2 });
        await kv.delete(KILLSWITCH_STATE_KEY);
        await vi.waitFor(() => expect(watcher.current()).toMatchObject({ kind: "unknown" }), {
          timeout: 5_000,
        });
        await kv.put(KILLSWITCH_STATE_KEY, globalStop);
        await vi.waitFor(() => expect(watcher.current()).toMatchObject({ kind: "active" }), {
          timeout: 5_000,
        });
        await kv.purge(KILLSWITCH_STATE_KEY);
        await vi.waitFor(() => expect(watcher.current()).toMatchObject({ kind: "unknown" }), {
          timeout: 5_000,
        });
      });
    });
  });
});

describe("per-scope emergency-stop state (kill-switch layout)", () => {
  const record = (scope: Record<string, string>, active: boolean, epoch: number, needsReEnabling = false) =>
    JSON.stringify({ scope, active, epoch, needsReEnabling, reason: "r" });

  it("unions the scope records, fails closed on garbage or a deleted scope key, and acknowledges", async () => {
    const own = topology(uniqueName("ps").toLowerCase());
    await provisionTopology(nc, own);
    const kv = await new Kvm(nc).open(own.kv.killswitch);
    const acks: number[] = [];
    const sub = nc.subscribe(own.subjects.killswitchAcknowledged("policy-test-1"));
    void (async () => {
      for await (const m of sub)
        acks.push(decodeEventAs(m.data, events.killswitchAcknowledged).data.acknowledgement.epoch);
    })();
    const watcher = await watchStopState(nc, own, {
      log,
      leaseMs: 60_000,
      refreshMs: 50,
      acknowledge: {
        publisher: createPublisher(nc, { source: "policy-test" }),
        instanceId: "policy-test-1",
        consumer: { type: "service", id: "policy", roles: [] },
      },
    });
    try {
      expect(watcher.current()).toEqual({ kind: "clear", epoch: 0 });
      await kv.put("epoch", "2");
      await kv.put(
        "scope.environment.production",
        record({ kind: "environment", value: "production" }, true, 1),
      );
      await kv.put("scope.agent.bot", record({ kind: "agent", value: "bot" }, false, 2, true));
      await vi.waitFor(
        () =>
          expect(watcher.current()).toEqual({
            kind: "active",
            epoch: 2,
            scopes: [
              { kind: "agent", value: "bot" },
              { kind: "environment", value: "production" },
            ],
          }),
        { timeout: 5_000 },
      );
      await vi.waitFor(() => expect(acks).toContain(2), { timeout: 5_000 });

      // Control: every scope lifted and re-enabled → not stopped.
      await kv.put("epoch", "3");
      await kv.put(
        "scope.environment.production",
        record({ kind: "environment", value: "production" }, false, 3),
      );
      await kv.put("scope.agent.bot", record({ kind: "agent", value: "bot" }, false, 3));
      await vi.waitFor(() => expect(watcher.current()).toEqual({ kind: "clear", epoch: 3 }), {
        timeout: 5_000,
      });
      await vi.waitFor(() => expect(acks).toContain(3), { timeout: 5_000 });

      await kv.put("scope.agent.bot", "{garbage");
      await vi.waitFor(() => expect(watcher.current()).toMatchObject({ kind: "unknown" }), {
        timeout: 5_000,
      });
      await kv.put("scope.agent.bot", record({ kind: "agent", value: "bot" }, false, 3));
      await vi.waitFor(() => expect(watcher.current()).toEqual({ kind: "clear", epoch: 3 }), {
        timeout: 5_000,
      });
      await kv.delete("scope.agent.bot");
      await vi.waitFor(() => expect(watcher.current()).toMatchObject({ kind: "unknown" }), {
        timeout: 5_000,
      });
      expect(watcher.current()).toMatchObject({ reason: "scope.agent.bot was deleted or purged" });
    } finally {
      sub.unsubscribe();
      await watcher.close();
      const jsm = await jetstreamManager(nc);
      for (const name of [own.streams.events, own.streams.audit, `KV_${own.kv.killswitch}`]) {
        await jsm.streams.delete(name).catch(() => undefined);
      }
    }
  });

  // The kill switch writes a change in steps: the epoch counter (compare-and-set) first, then each
  // scope record of the change in turn. An acknowledgement of epoch N says "I enforce N": it must not
  // go out when only the counter (or the first of two scopes) is in. Each acknowledgement is recorded
  // with what the watcher enforced at the moment it was published.
  it("with durableUpTo, acknowledges no further than the component applied durably, and at once when told", async () => {
    const own = topology(uniqueName("dur").toLowerCase());
    await provisionTopology(nc, own);
    const kv = await new Kvm(nc).open(own.kv.killswitch);
    const real = createPublisher(nc, { source: "approval-test" });
    const sent: number[] = [];
    const recording: EventPublisher = {
      publish(subject, definition, event) {
        sent.push((event.data as { acknowledgement: { epoch: number } }).acknowledgement.epoch);
        return real.publish(subject, definition, event);
      },
      publishEnvelope: (subject, envelope) => real.publishEnvelope(subject, envelope),
    };
    let durable = 0;
    const watcher = await watchStopState(nc, own, {
      log,
      leaseMs: 60_000,
      refreshMs: 50,
      acknowledge: {
        publisher: recording,
        instanceId: "approval-dur-1",
        consumer: { type: "service", id: "approval", roles: [] },
        everyMs: 600_000,
        durableUpTo: () => durable,
      },
    });
    const prod = { kind: "environment", value: "production" };
    try {
      expect(sent).toEqual([0]);
      await kv.put("epoch", "1");
      await kv.put(
        "scope.environment.production",
        JSON.stringify({ scope: prod, active: true, epoch: 1, needsReEnabling: false, reason: "r" }),
      );
      // Applied in memory (the acknowledgement check runs in the same step as the view's update) …
      await vi.waitFor(
        () => expect(watcher.current()).toEqual({ kind: "active", epoch: 1, scopes: [prod] }),
        WAIT,
      );
      expect(watcher.applied()).toBe(1);
      // … yet not confirmed: the component has not applied it durably.
      expect(sent).toEqual([0]);
      durable = 1;
      watcher.acknowledgeNow();
      expect(sent).toEqual([0, 1]);
    } finally {
      await watcher.close();
      const jsm = await jetstreamManager(nc);
      for (const name of [own.streams.events, own.streams.audit, `KV_${own.kv.killswitch}`]) {
        await jsm.streams.delete(name).catch(() => undefined);
      }
    }
  });

  it("acknowledges an epoch only once every scope record of its change is applied, not at the counter or the first scope", async () => {
    const own = topology(uniqueName("ack").toLowerCase());
    await provisionTopology(nc, own);
    const kv = await new Kvm(nc).open(own.kv.killswitch);
    const real = createPublisher(nc, { source: "policy-test" });
    // Filled in once started: the first acknowledgement goes out while the watcher starts.
    const started: { watcher?: StopStateWatcher } = {};
    const sent: { epoch: number; enforced: StopView | undefined }[] = [];
    const recording: EventPublisher = {
      publish(subject, definition, event) {
        const data = event.data as { acknowledgement: { epoch: number } };
        sent.push({ epoch: data.acknowledgement.epoch, enforced: started.watcher?.current() });
        return real.publish(subject, definition, event);
      },
      publishEnvelope: (subject, envelope) => real.publishEnvelope(subject, envelope),
    };
    const watcher = await watchStopState(nc, own, {
      log,
      leaseMs: 60_000,
      refreshMs: 50,
      acknowledge: {
        publisher: recording,
        instanceId: "policy-ack-1",
        consumer: { type: "service", id: "policy", roles: [] },
        everyMs: 600_000, // no sign-of-life repeats within the test: every acknowledgement is news
      },
    });
    started.watcher = watcher;
    const prod = { kind: "environment", value: "production" };
    const bot = { kind: "agent", value: "bot" };
    const batch = ["scope.agent.bot", "scope.environment.production"];
    const scopeRecord = (scope: Record<string, string>, active: boolean, epoch: number) =>
      JSON.stringify({ scope, active, epoch, needsReEnabling: false, reason: "r", batch });
    try {
      expect(watcher.current()).toEqual({ kind: "clear", epoch: 0 });
      await vi.waitFor(() => expect(sent.map((a) => a.epoch)).toEqual([0]), WAIT);
      // Step 1: the counter. The watcher sees epoch 1, and nothing to enforce yet.
      await kv.put("epoch", "1");
      await vi.waitFor(() => expect(watcher.current()).toEqual({ kind: "clear", epoch: 1 }), WAIT);
      // Step 2: the first scope of two. It is enforced at once (fail-safe) …
      await kv.put("scope.environment.production", scopeRecord(prod, true, 1));
      await vi.waitFor(
        () => expect(watcher.current()).toEqual({ kind: "active", epoch: 1, scopes: [prod] }),
        WAIT,
      );
      // Step 3: the second scope: now the change is complete.
      await kv.put("scope.agent.bot", scopeRecord(bot, true, 1));
      await vi.waitFor(() => expect(sent.map((a) => a.epoch)).toContain(1), WAIT);
      // … and the acknowledgement of epoch 1 went out only with both scopes enforced.
      expect(sent.find((a) => a.epoch === 1)?.enforced).toEqual({
        kind: "active",
        epoch: 1,
        scopes: [bot, prod],
      });

      // The lift takes epoch 2 for both scopes, written one after the other: acknowledged once both are.
      await kv.put("epoch", "2");
      await kv.put("scope.agent.bot", scopeRecord(bot, false, 2));
      await vi.waitFor(
        () => expect(watcher.current()).toEqual({ kind: "active", epoch: 2, scopes: [prod] }),
        WAIT,
      );
      await kv.put("scope.environment.production", scopeRecord(prod, false, 2));
      await vi.waitFor(() => expect(sent.map((a) => a.epoch)).toContain(2), WAIT);
      expect(sent.find((a) => a.epoch === 2)?.enforced).toEqual({ kind: "clear", epoch: 2 });
      expect(sent.map((a) => a.epoch)).toEqual([0, 1, 2]);
    } finally {
      await watcher.close();
      const jsm = await jetstreamManager(nc);
      for (const name of [own.streams.events, own.streams.audit, `KV_${own.kv.killswitch}`]) {
        await jsm.streams.delete(name).catch(() => undefined);
      }
    }
  });
});
