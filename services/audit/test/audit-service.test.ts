// The audit service end to end against real NATS (JetStream) and a real Mongo-wire server: events
// in, records committed in order with a verifying chain, records and checkpoints out on the audit
// stream; redeliveries and re-publishes recorded once; invalid envelopes recorded as
// warden.invalid; role-scoped, self-audited queries; Verify naming tampering; Export; Tail.
import { jetstream } from "@nats-io/jetstream";
import { auditV1 } from "@warden/contracts";
import { createGrpcClient, Status } from "@warden/grpc";
import { topology as makeTopology } from "@warden/messaging";
import { createTestTelemetry, type TestTelemetry } from "@warden/telemetry";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sampleEnvelope } from "../src/testing/sample-events.ts";
import type { AuditStore } from "../src/app/ports.ts";
import { parsePublicKey } from "../src/domain/checkpoint.ts";
import { verifyChain } from "../src/domain/verify-chain.ts";
import type { Checkpoint } from "../src/domain/checkpoint.ts";
import type { AuditRecord } from "../src/domain/audit-record.ts";
import type { RunningAuditService } from "../src/start-audit-service.ts";
import {
  allRecords,
  auditEnv,
  auditStreamMessages,
  headAtLeast,
  auditConsumerSettled,
  humanEvent,
  observe,
  present,
  WAIT,
  type AuditEnv,
  type Observer,
} from "./support.ts";

let telemetry: TestTelemetry;
let env: AuditEnv;
let obs: Observer;
let service: RunningAuditService;
const t = () => makeTopology(env.namespace);

/** appendBatch that commits and then throws, `failures` times: the messages are nak'ed although recorded. */
const flaky = { failuresLeft: 0 };
function failAfterCommit(store: AuditStore): AuditStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "appendBatch") {
        return async (records: Parameters<AuditStore["appendBatch"]>[0]) => {
          const result = await target.appendBatch(records);
          if (flaky.failuresLeft > 0) {
            flaky.failuresLeft--;
            throw new Error("injected: connection lost after the insert landed");
          }
          return result;
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function publish(envelope: Record<string, unknown>, subject?: string, msgID?: string): Promise<void> {
  const js = jetstream(obs.nc);
  const type = String(envelope.type);
  await js.publish(subject ?? `${env.namespace}.${type}.test`, JSON.stringify(envelope), {
    msgID: msgID ?? String(envelope.id),
  });
}

function client(token: string) {
  return createGrpcClient(auditV1.AuditServiceDefinition, `127.0.0.1:${service.grpcPort}`, { token });
}

beforeAll(async () => {
  telemetry = createTestTelemetry("audit-test");
  env = await auditEnv();
  obs = await observe(env);
  const { startAuditService } = await import("../src/start-audit-service.ts");
  service = await startAuditService(env.config, { wrapStore: failAfterCommit });
});

afterAll(async () => {
  await service.stop();
  await obs.close();
  await telemetry.shutdown();
});

describe("recording", () => {
  it("commits published events in order, the chain verifies, records and checkpoints reach the audit stream", async () => {
    const envelopes = Array.from({ length: 30 }, (_, i) => sampleEnvelope(i));
    for (const e of envelopes) await publish(e);
    await headAtLeast(obs.store, 30);

    const records = (await allRecords(obs.store)).slice(0, 30);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(records.map((r) => r.eventId)).toEqual(envelopes.map((e) => e.id));

    const publicKey = parsePublicKey(env.publicKeyPem);
    const checkpoints = (
      await vi.waitFor(async () => {
        const found = await auditStreamMessages(obs.nc, t(), t().subjects.auditCheckpoint);
        return present(
          found.some((c) => (c.body as Checkpoint).seq >= 30) ? found : undefined,
          "checkpoint of seq 30",
        );
      }, WAIT)
    ).map((c) => c.body as Checkpoint);
    expect(
      verifyChain(
        records,
        checkpoints.filter((c) => c.seq <= 30),
        publicKey,
      ),
    ).toMatchObject({ ok: true, count: 30 });

    const published = await vi.waitFor(async () => {
      const found = await auditStreamMessages(obs.nc, t(), t().subjects.auditRecordedAll);
      return present(found.length >= 30 ? found : undefined, "30 records on the audit stream");
    }, WAIT);
    const first30 = published.slice(0, 30);
    expect(first30.map((m) => m.msgId)).toEqual(records.map((r) => `audit-${r.seq}`));
    expect(first30.map((m) => (m.body as AuditRecord).hash)).toEqual(records.map((r) => r.hash));
    expect(first30[0]?.subject).toBe(t().subjects.auditRecorded(records[0]?.type ?? ""));
    // What is published is what was hashed: a downstream consumer can verify the chain alone.
    expect(
      verifyChain(
        first30.map((m) => m.body as AuditRecord),
        [],
        publicKey,
      ),
    ).toMatchObject({ ok: true });
  });

  it("records every event once although each is delivered three times and redelivered after failed writes", async () => {
    const before = (await obs.store.lastRecord())?.seq ?? 0;
    const envelopes = Array.from({ length: 40 }, (_, i) => sampleEnvelope(1000 + i));
    flaky.failuresLeft = 2; // the first two writes land, then "fail": their messages are nak'ed
    for (const e of envelopes) await publish(e);
    // The same events again under other message ids, so JetStream does not de-duplicate them.
    for (const round of [1, 2])
      for (const e of envelopes) await publish(e, undefined, `${e.id}-again-${round}`);
    await headAtLeast(obs.store, before + 40);
    await expect
      .poll(() => flaky.failuresLeft, { ...WAIT, message: "the injected failures to be used" })
      .toBe(0);

    // Barrier: the redeliveries have come back and been skipped, every re-publish too.
    await auditConsumerSettled(obs.nc, t());
    const records = (await allRecords(obs.store)).filter((r) => /^evt-1\d{3}$/.test(r.eventId));
    expect(records.map((r) => r.eventId).sort()).toEqual(envelopes.map((e) => e.id).sort());
    expect(new Set(records.map((r) => r.seq)).size).toBe(40);
    const all = await allRecords(obs.store);
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));
    expect(verifyChain(all, [], parsePublicKey(env.publicKeyPem))).toMatchObject({ ok: true });
    // The deliveries really happened: 80 re-publishes, plus the redeliveries of the failed writes.
    const metrics = await (await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)).text();
    const duplicates = Number(/^warden_audit_duplicates_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    const failures = Number(/^warden_audit_store_failures_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    expect(failures).toBe(2);
    expect(duplicates).toBeGreaterThan(80);
  });

  it("measures commit lag from the event's arrival in the stream, not from the sender's time field", async () => {
    const lag = async (): Promise<{ sum: number; count: number }> => {
      const text = await (await fetch(`http://127.0.0.1:${service.opsPort}/metrics`)).text();
      const value = (name: string) =>
        Number(
          new RegExp(`^warden_audit_commit_lag_seconds_${name}(?:\\{[^}]*\\})? (\\S+)`, "m").exec(text)?.[1],
        );
      return { sum: value("sum"), count: value("count") };
    };
    const before = await lag();
    expect(Number.isFinite(before.sum)).toBe(true);
    const head = (await obs.store.lastRecord())?.seq ?? 0;
    // A replayed envelope whose time says it happened a day ago.
    const old = {
      ...humanEvent("lag-replayed-1", "carol", { type: "warden.deploy.started" }),
      time: new Date(Date.now() - 86_400_000).toISOString(),
    };
    await publish(old);
    await headAtLeast(obs.store, head + 1);
    await vi.waitFor(async () => expect((await lag()).count).toBeGreaterThan(before.count), {
      timeout: 10_000,
    });
    const after = await lag();
    // Its record keeps the sender's time; the histogram moved by the seconds the audit took, not a day.
    expect((await obs.store.query({ actorId: "carol" }, { size: 1000 })).items.at(-1)?.time).toBe(old.time);
    expect(after.sum - before.sum).toBeLessThan(60);
  });

  it("records an invalid message as a warden.invalid event, and terminates the original", async () => {
    const subject = `${env.namespace}.warden.action.requested.mallory`;
    await jetstream(obs.nc).publish(subject, "{not json", { msgID: "garbage-1" });
    await publish(
      {
        id: "no-actor-1",
        type: "warden.action.requested",
        source: "x",
        time: new Date().toISOString(),
        data: {},
      },
      subject,
    );

    const invalid = await vi.waitFor(async () => {
      const found = (await allRecords(obs.store)).filter((r) => r.type === "warden.invalid.message");
      return present(found.length >= 2 ? found : undefined, "two warden.invalid records");
    }, WAIT);
    const bySubject = invalid.map((r) => [
      r.subject,
      (r.data as { originalSubject?: string }).originalSubject,
    ]);
    expect(bySubject).toContainEqual([t().subjects.invalid("malformed_json"), subject]);
    expect(bySubject).toContainEqual([t().subjects.invalid("schema"), subject]);
    // The originals themselves never become records.
    expect((await allRecords(obs.store)).some((r) => r.eventId === "no-actor-1")).toBe(false);
  });
});

describe("gRPC AuditService", () => {
  let alice: string;
  let bob: string;
  let eve: string;
  let nobody: string;

  beforeAll(async () => {
    alice = await env.issuer.issue({ sub: "alice", roles: ["engineer"] });
    bob = await env.issuer.issue({ sub: "bob", roles: ["engineer"] });
    eve = await env.issuer.issue({ sub: "eve", roles: ["auditor"] });
    nobody = await env.issuer.issue({ sub: "mallory", roles: ["viewer"] });
    const before = (await obs.store.lastRecord())?.seq ?? 0;
    for (let i = 0; i < 3; i++) await publish(humanEvent(`alice-${i}`, "alice"));
    for (let i = 0; i < 2; i++) await publish(humanEvent(`bob-${i}`, "bob"));
    await headAtLeast(obs.store, before + 5);
  });

  it("scopes Query by role, pages, and records every query as an event", async () => {
    using a = client(alice);
    const own = await a.client.query({ filter: { types: ["warden.action.requested"] }, pageSize: 2 });
    expect(own.records.map((r) => r.actor?.id)).toEqual(["alice", "alice"]);
    expect(own.nextPageToken).not.toBe("");
    const next = await a.client.query({
      filter: { types: ["warden.action.requested"] },
      pageSize: 2,
      pageToken: own.nextPageToken,
    });
    expect(next.records.map((r) => r.eventId)).toEqual(["alice-2"]);
    expect(next.nextPageToken).toBe("");

    await expect(a.client.query({ filter: { actorId: "bob" } })).rejects.toMatchObject({
      code: Status.PERMISSION_DENIED,
    });
    using n = client(nobody);
    await expect(n.client.query({})).rejects.toMatchObject({ code: Status.PERMISSION_DENIED });
    await expect(a.client.query({ pageToken: "bogus!" })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
    });

    using e = client(eve);
    const everything = await e.client.query({
      filter: { types: ["warden.action.requested"] },
      pageSize: 1000,
    });
    const actors = new Set(everything.records.map((r) => r.actor?.id));
    expect(actors).toEqual(
      new Set(["alice", "bob", "agent-0", "agent-1", "agent-2", "agent-3", "agent-4", "agent-5", "agent-6"]),
    );

    // Alice's queries are themselves records, and she (an engineer) sees them: they are her actions.
    const queried = await vi.waitFor(async () => {
      const found = (await a.client.query({ filter: { types: ["warden.audit.queried"] } })).records;
      return present(found.length >= 2 ? found : undefined, "alice's query records");
    }, WAIT);
    expect(queried[0]).toMatchObject({
      type: "warden.audit.queried",
      action: "audit.query",
      actor: { id: "alice" },
    });
    expect(queried[0]?.data).toMatchObject({ method: "query", scope: { kind: "own", actorId: "alice" } });
    // Recording a query is not a query: three more queries make exactly three more records.
    const queryRecords = async () =>
      (await allRecords(obs.store)).filter((r) => r.type === "warden.audit.queried").length;
    // Barriers: a query's access event is published (and acknowledged) before the query answers, so
    // once the audit consumer has settled every earlier query's record is in, and the count is final.
    await auditConsumerSettled(obs.nc, t());
    const before = await queryRecords();
    for (let i = 0; i < 3; i++) await e.client.query({ pageSize: 1 });
    await auditConsumerSettled(obs.nc, t());
    expect(await queryRecords()).toBe(before + 3);
  });

  it("Export streams the scoped records in seq order", async () => {
    using b = client(bob);
    const mine: auditV1.AuditRecord[] = [];
    for await (const { record } of b.client.export({ filter: { types: ["warden.action.requested"] } }))
      if (record) mine.push(record);
    expect(mine.map((r) => r.eventId)).toEqual(["bob-0", "bob-1"]);
    using e = client(eve);
    const seqs: number[] = [];
    for await (const { record } of e.client.export({})) if (record) seqs.push(record.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it("Verify detects a record modified directly in the collection, after a clean control", async () => {
    using e = client(eve);
    const control = await e.client.verify({});
    expect(control).toMatchObject({ ok: true, firstBadSeq: 0 });
    expect(control.recordsChecked).toBeGreaterThan(70);

    const target = (await obs.store.range(17, 17))[0];
    expect(target).toBeDefined();
    await obs.db.collection("audit_events").updateOne({ seq: 17 }, { $set: { outcome: "tampered" } });
    const tampered = await e.client.verify({});
    expect(tampered).toMatchObject({
      ok: false,
      firstBadSeq: 17,
      problem: auditV1.Problem.PROBLEM_MODIFIED,
      lastGoodSeq: 16,
    });
    // A range that ends before the damage still verifies.
    expect(await e.client.verify({ fromSeq: 1, toSeq: 16 })).toMatchObject({ ok: true, recordsChecked: 16 });
    // Put it back (the test database is dropped afterwards anyway).
    await obs.db
      .collection("audit_events")
      .updateOne({ seq: 17 }, { $set: { outcome: target?.outcome ?? null } });
    expect(await e.client.verify({})).toMatchObject({ ok: true });
  });

  it("Tail replays from a seq, then streams new records, and ends with UNAVAILABLE at shutdown", async () => {
    const head = (await obs.store.lastRecord())?.seq ?? 0;
    const e = client(eve);
    const seen: auditV1.AuditRecord[] = [];
    const ended = (async () => {
      for await (const { record } of e.client.tail({
        afterSeq: head - 3,
        types: ["warden.action.requested"],
      })) {
        if (record) seen.push(record);
      }
    })().then(
      () => "ended without an error",
      (err: unknown) => err,
    );
    for (let i = 0; i < 3; i++) await publish(humanEvent(`tail-${i}`, "carol"));
    await expect
      .poll(() => seen.filter((r) => r.eventId.startsWith("tail-")).length, {
        ...WAIT,
        message: "tailed records",
      })
      .toBe(3);
    expect(seen.map((r) => r.seq)).toEqual([...seen.map((r) => r.seq)].sort((x, y) => x - y));
    expect(seen.every((r) => r.type === "warden.action.requested")).toBe(true);

    await service.stop();
    expect(await ended).toMatchObject({ code: Status.UNAVAILABLE, details: "server shutting down" });
    e.close();
  });
});
