// ADR 0003 point 1, confirmed against a real NATS server: two replicas share the durable consumer in
// a pinned_client priority group; only the pinned one receives events (and writes), and when it
// stops the other is pinned and carries on the same chain, with no gap on the audit stream.
import { jetstream } from "@nats-io/jetstream";
import { topology as makeTopology } from "@warden/messaging";
import { createTestTelemetry, type TestTelemetry } from "@warden/telemetry";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sampleEnvelope } from "../src/testing/sample-events.ts";
import { parsePublicKey } from "../src/domain/checkpoint.ts";
import { verifyChain } from "../src/domain/verify-chain.ts";
import type { RunningAuditService } from "../src/start-audit-service.ts";
import {
  allRecords,
  auditEnv,
  auditStreamMessages,
  headAtLeast,
  observe,
  until,
  type AuditEnv,
  type Observer,
} from "./support.ts";

let telemetry: TestTelemetry;
let env: AuditEnv;
let obs: Observer;
const replicas: RunningAuditService[] = [];

async function committedBy(service: RunningAuditService): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)).text();
  return Number(/^warden_audit_records_committed_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

async function publishRange(from: number, count: number): Promise<void> {
  const js = jetstream(obs.nc);
  for (let i = from; i < from + count; i++) {
    const e = sampleEnvelope(i);
    await js.publish(`${env.namespace}.${e.type}.x`, JSON.stringify(e), { msgID: e.id });
  }
}

beforeAll(async () => {
  telemetry = createTestTelemetry("audit-single-writer-test");
  env = await auditEnv({ AUDIT_PIN_TIMEOUT: "2s" });
  obs = await observe(env);
  const { startAuditService } = await import("../src/start-audit-service.ts");
  replicas.push(await startAuditService(env.config), await startAuditService(env.config));
});

afterAll(async () => {
  for (const r of replicas) await r.stop();
  await obs.close();
  await telemetry.shutdown();
});

it("one pinned replica writes; after it stops, the other takes over the same chain", async () => {
  await publishRange(0, 100);
  await headAtLeast(obs.store, 100);
  const counts = await Promise.all(replicas.map(committedBy));
  expect(counts.sort((a, b) => a - b)).toEqual([0, 100]);

  const [a, b] = replicas;
  if (a === undefined || b === undefined) throw new Error("two replicas expected");
  const pinned = (await committedBy(a)) === 100 ? a : b;
  const standby = pinned === a ? b : a;
  await pinned.stop();

  await publishRange(100, 100);
  await headAtLeast(obs.store, 200);
  expect(await committedBy(standby)).toBe(100);

  const records = await allRecords(obs.store);
  expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
  expect(new Set(records.map((r) => r.eventId)).size).toBe(200);
  expect(verifyChain(records, [], parsePublicKey(env.publicKeyPem))).toMatchObject({ ok: true, count: 200 });

  const t = makeTopology(env.namespace);
  const published = await until(async () => {
    const found = await auditStreamMessages(obs.nc, t, t.subjects.auditRecordedAll);
    return found.length >= 200 ? found : undefined;
  }, "200 records on the audit stream");
  expect(published.map((m) => m.msgId)).toEqual(records.map((r) => `audit-${r.seq}`));
});
