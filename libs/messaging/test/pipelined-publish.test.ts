// createPipelinedPublisher against a real NATS server with JetStream: each record its own PubAck
// (seq, duplicate by Nats-Msg-Id), a refused record fails alone inside a burst, the stored message
// carries its Nats-Msg-Id.
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectNats,
  createPipelinedPublisher,
  drainNats,
  events,
  provisionTopology,
  PublishAckError,
  topology,
  topologyStreams,
} from "../src/index.ts";
import type { ActionRequestData, PipelinedPublisher } from "../src/index.ts";

const t = topology(uniqueName("pipe").toLowerCase());
let nc: NatsConnection;
let publisher: PipelinedPublisher;

const request = (actionId: string): ActionRequestData => ({
  actionId,
  agentId: "kb-qa",
  action: "knowledge.search",
  environment: "ENVIRONMENT_DEVELOPMENT",
});

beforeAll(async () => {
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "pipelined-publish-test",
    ...(await natsCredentials("test-admin")),
  });
  await provisionTopology(nc, t);
  publisher = createPipelinedPublisher(nc, { source: "pipelined-test", timeoutMs: 10_000 });
});

afterAll(async () => {
  publisher.close();
  const jsm = await jetstreamManager(nc);
  for (const name of topologyStreams(t)) await jsm.streams.delete(name).catch(() => undefined);
  await drainNats(nc);
});

describe("pipelined publisher", () => {
  it("acknowledges each record of a burst with its own seq; a re-published id is a duplicate", async () => {
    const subject = t.subjects.actionRequested("kb-qa");
    const ids = Array.from({ length: 50 }, (_, i) => `pipe-${i}`);
    const results = await Promise.all(
      ids.map((id) =>
        publisher.publish(subject, events.actionRequested, { id, actionId: id, data: request(id) }),
      ),
    );
    const seqs = results.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(50);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    const again = await publisher.publish(subject, events.actionRequested, {
      id: "pipe-7",
      actionId: "pipe-7",
      data: request("pipe-7"),
    });
    expect(again).toMatchObject({ duplicate: true, seq: results[7]?.seq });
    expect(publisher.pending()).toBe(0);

    const stored = await (
      await jetstreamManager(nc)
    ).streams.getMessage(t.streams.events, {
      seq: results[3]?.seq ?? 0,
    });
    expect(stored?.header.get("Nats-Msg-Id")).toBe("pipe-3");
    expect(stored?.json<{ id: string }>().id).toBe("pipe-3");
  });

  it("fails only the record no stream takes, the others of the same burst are acknowledged", async () => {
    const good = t.subjects.actionRequested("kb-qa");
    const nowhere = `${t.namespace}x.nothing.listens`;
    const settled = await Promise.allSettled([
      publisher.publish(good, events.actionRequested, { id: "b-1", actionId: "b-1", data: request("b-1") }),
      publisher.publish(nowhere, events.actionRequested, {
        id: "b-2",
        actionId: "b-2",
        data: request("b-2"),
      }),
      publisher.publish(good, events.actionRequested, { id: "b-3", actionId: "b-3", data: request("b-3") }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const failure = (settled[1] as PromiseRejectedResult).reason as PublishAckError;
    expect(failure).toBeInstanceOf(PublishAckError);
    expect(failure.message).toMatch(/no JetStream stream|503/);
    // Control: the same records through plain js.publish land in the stream (the good subject is real).
    const js = jetstream(nc);
    await expect(js.publish(good, "{}", { msgID: "b-control" })).resolves.toMatchObject({ duplicate: false });
  });

  it("refuses an invalid payload before anything is sent, naming the field", async () => {
    await expect(
      publisher.publish(t.subjects.actionRequested("kb-qa"), events.actionRequested, {
        id: "bad",
        actionId: "bad",
        data: { ...request("bad"), action: "" },
      }),
    ).rejects.toThrow(/action/);
    expect(publisher.pending()).toBe(0);
  });
});
