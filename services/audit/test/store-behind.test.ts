// A store that lost its tail, against real NATS (JetStream) and a real Mongo-wire server: gRPC Verify
// takes the signed checkpoints from the WARDEN_AUDIT stream, so a truncated tail whose checkpoint
// documents were deleted too is still caught; a writer restarted on such a store refuses to write
// (no consumer, readiness failing, an ERROR log, warden_audit_store_behind, warden.audit.store_behind)
// instead of reusing seqs a signed checkpoint covers. Control: an intact store restarts and writes.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { auditV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import { topology as makeTopology } from "@warden/messaging";
import { createTestTelemetry, type TestTelemetry } from "@warden/telemetry";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AUDIT_DURABLE } from "../src/transport/nats/audit-consumer.ts";
import type { Checkpoint } from "../src/domain/checkpoint.ts";
import type { RunningAuditService } from "../src/start-audit-service.ts";
import {
  auditEnv,
  auditStreamMessages,
  headAtLeast,
  humanEvent,
  observe,
  type AuditEnv,
  type Observer,
} from "./support.ts";

let telemetry: TestTelemetry;
let env: AuditEnv;
let obs: Observer;
let auditorToken: string;
const running: RunningAuditService[] = [];
const t = () => makeTopology(env.namespace);
const WAIT = { timeout: 30_000, interval: 50 };

async function start(): Promise<RunningAuditService> {
  const { startAuditService } = await import("../src/start-audit-service.ts");
  const service = await startAuditService(env.config);
  running.push(service);
  return service;
}

async function stop(service: RunningAuditService): Promise<void> {
  await service.stop();
  running.splice(running.indexOf(service), 1);
}

async function publish(envelope: Record<string, unknown>): Promise<void> {
  await jetstream(obs.nc).publish(
    `${env.namespace}.${String(envelope.type)}.test`,
    JSON.stringify(envelope),
    {
      msgID: String(envelope.id),
    },
  );
}

async function streamHeads(): Promise<{ recordSeq: number; checkpointSeq: number }> {
  const seqOf = (m: { body: unknown }) => (m.body as Checkpoint).seq;
  const records = await auditStreamMessages(obs.nc, t(), t().subjects.auditRecordedAll);
  const checkpoints = await auditStreamMessages(obs.nc, t(), t().subjects.auditCheckpoint);
  return {
    recordSeq: Math.max(0, ...records.map(seqOf)),
    checkpointSeq: Math.max(0, ...checkpoints.map(seqOf)),
  };
}

const metric = async (service: RunningAuditService, source: string): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)).text();
  const line = new RegExp(`^warden_audit_store_behind\\{[^}]*source="${source}"[^}]*\\} (\\d+)`, "m").exec(
    text,
  );
  return Number(line?.[1]);
};

/** Pull requests the audit durable holds open: a running consumer always keeps one waiting. */
async function waitingPulls(): Promise<number> {
  const jsm = await jetstreamManager(obs.nc);
  return (await jsm.consumers.info(t().streams.events, AUDIT_DURABLE)).num_waiting;
}

async function verify(
  service: RunningAuditService,
  request: { fromSeq?: number; toSeq?: number },
): Promise<auditV1.VerifyResponse> {
  using c = createGrpcClient(auditV1.AuditServiceDefinition, `127.0.0.1:${service.grpcPort}`, {
    token: auditorToken,
  });
  return await c.client.verify(request);
}

beforeAll(async () => {
  telemetry = createTestTelemetry("audit-store-behind-test");
  env = await auditEnv();
  obs = await observe(env);
  auditorToken = await env.issuer.issue({ sub: "eve", roles: ["auditor"] });
});

afterAll(async () => {
  for (const service of [...running]) await service.stop();
  await obs.close();
  await telemetry.shutdown();
});

describe("a store behind the audit stream", () => {
  let head = 0;

  it("CONTROL: an intact store restarts, writes, and Verify says where its checkpoints came from and where the range was cut", async () => {
    const first = await start();
    for (let i = 0; i < 30; i++) await publish(humanEvent(`sb-${i}`, "alice"));
    await headAtLeast(obs.store, 30);
    await vi.waitFor(async () => {
      expect(await streamHeads()).toEqual({ recordSeq: 30, checkpointSeq: 30 });
    }, WAIT);
    await stop(first);

    const second = await start();
    expect(second.refused).toBe(false);
    expect((await fetch(`http://127.0.0.1:${second.opsPort}/readyz`)).status).toBe(200);
    expect(await metric(second, "checkpoint")).toBe(0);
    expect(await metric(second, "stream")).toBe(0);
    await vi.waitFor(async () => expect(await waitingPulls()).toBeGreaterThan(0), WAIT);
    await publish(humanEvent("sb-30", "alice"));
    await headAtLeast(obs.store, 31);
    expect((await obs.store.lastRecord())?.seq).toBe(31);

    // to_seq far beyond the head: intact, and the answer says the range ended at the head.
    const cut = await verify(second, { fromSeq: 1, toSeq: 99_999 });
    expect(cut).toMatchObject({
      ok: true,
      rangeCutAtHead: true,
      checkpointSource: auditV1.CheckpointSource.CHECKPOINT_SOURCE_STREAM,
    });
    // 31, or 32 when the record of this very Verify call was committed before the chain was read.
    expect(cut.lastGoodSeq).toBeGreaterThanOrEqual(31);
    expect(cut.detail).toBe(`range cut at the head: the chain ends at seq ${cut.lastGoodSeq}, before to_seq`);
    const exact = await verify(second, { fromSeq: 1, toSeq: 31 });
    expect(exact).toMatchObject({ ok: true, lastGoodSeq: 31, rangeCutAtHead: false });

    await headAtLeast(obs.store, 33); // the two Verify calls are recorded too
    head = (await obs.store.lastRecord())?.seq ?? 0;
    await vi.waitFor(async () => {
      const heads = await streamHeads();
      expect(heads.recordSeq).toBe(head);
      expect(heads.checkpointSeq).toBe(head);
    }, WAIT);
    await stop(second);
    await vi.waitFor(async () => expect(await waitingPulls()).toBe(0), WAIT);
  });

  it("after the tail was truncated under a signed checkpoint (and its checkpoint documents deleted), a restart refuses to write and alerts; Verify catches it from the stream", async () => {
    expect(head).toBeGreaterThan(15);
    await obs.db.collection("audit_events").deleteMany({ seq: { $gt: 15 } });
    await obs.db.collection("audit_checkpoints").deleteMany({ seq: { $gt: 10 } });

    const alarms = obs.nc.subscribe(t().subjects.auditStoreBehind, { max: 1 });
    const service = await start();
    expect(service.refused).toBe(true);

    const ready = await fetch(`http://127.0.0.1:${service.opsPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ failing: ["store"] });
    expect((await fetch(`http://127.0.0.1:${service.opsPort}/healthz`)).status).toBe(200);
    expect(await metric(service, "checkpoint")).toBe(1);
    expect(await metric(service, "stream")).toBe(1);

    for await (const msg of alarms) {
      const alarm = msg.json<{ data: { recovery: string } }>();
      expect(alarm.data.recovery).toMatch(/warden audit verify/);
      expect(alarm).toMatchObject({
        type: "warden.audit.store_behind",
        data: {
          storeHeadSeq: 15,
          behind: [
            { source: "checkpoint", expectedSeq: head },
            { source: "stream", expectedSeq: head },
          ],
        },
      });
    }

    // Nothing pulls from the audit durable: the events (the alarm among them) wait in the stream.
    await publish(humanEvent("sb-after", "alice"));
    expect(await waitingPulls()).toBe(0);

    const result = await verify(service, {});
    expect(result).toMatchObject({
      ok: false,
      firstBadSeq: 16,
      problem: auditV1.Problem.PROBLEM_TRUNCATED,
      checkpointSource: auditV1.CheckpointSource.CHECKPOINT_SOURCE_STREAM,
    });
    expect(await waitingPulls()).toBe(0);
    expect((await obs.store.lastRecord())?.seq).toBe(15);
  });

  it("restore-from-stream re-inserts the lost tail from WARDEN_AUDIT; the restarted writer then records what waited", async () => {
    const refusing = running.at(-1);
    expect(refusing?.refused).toBe(true);
    if (refusing !== undefined) await stop(refusing);
    const { restoreAuditFromStream } = await import("../src/restore-audit-from-stream.ts");
    const restored = await restoreAuditFromStream({
      mongoUrl: env.env.MONGO_URL ?? "",
      db: env.db,
      natsUrl: env.env.NATS_URL ?? "",
      natsCreds: env.env.NATS_CREDS,
      namespace: env.namespace,
    });
    expect(restored).toMatchObject({ fromHeadSeq: 15, toHeadSeq: head, records: head - 15 });
    expect(restored.checkpoints).toBeGreaterThan(0);

    const service = await start();
    expect(service.refused).toBe(false);
    expect(await metric(service, "checkpoint")).toBe(0);
    // What waited in WARDEN_EVENTS (the event, the alarm, the Verify call's record) is recorded now.
    await headAtLeast(obs.store, head + 3);
    const afterEvent = (await obs.store.query({ actorId: "alice" }, { size: 1000 })).items.at(-1);
    expect(afterEvent?.eventId).toBe("sb-after");
    expect(
      (await obs.store.query({ types: ["warden.audit.store_behind"] }, { size: 10 })).items,
    ).toHaveLength(1);
    expect(await verify(service, {})).toMatchObject({
      ok: true,
      checkpointSource: auditV1.CheckpointSource.CHECKPOINT_SOURCE_STREAM,
    });
  });
});
