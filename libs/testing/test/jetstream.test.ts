import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { connect, credsAuthenticator, nanos, type NatsConnection } from "@nats-io/transport-node";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natsCredentials, testServers, uniqueName } from "../src/index.ts";

const ackWaitMs = 500;

/** Pull up to `max` messages, acking each one when `ack` is set. */
async function pull(
  consumer: Consumer,
  max: number,
  ack: boolean,
): Promise<{ data: string; redelivered: boolean }[]> {
  const got: { data: string; redelivered: boolean }[] = [];
  const batch = await consumer.fetch({ max_messages: max, expires: 1_000 });
  for await (const m of batch) {
    got.push({ data: m.string(), redelivered: m.redelivered });
    if (ack) await m.ackAck();
  }
  return got;
}

describe("JetStream (shared NATS from global setup)", () => {
  const stream = uniqueName("IT");
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connect({
      servers: testServers().natsUrl,
      ...(await natsCredentials("test-admin").then(({ creds }) =>
        creds === undefined ? {} : { authenticator: credsAuthenticator(new TextEncoder().encode(creds)) },
      )),
    });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  });
  afterAll(async () => {
    await jsm.streams.delete(stream);
    await nc.drain();
  });

  it("a durable pull consumer gets each published message once after acking it", async () => {
    const js = jetstream(nc);
    for (const n of [1, 2, 3]) await js.publish(`${stream}.job`, `job-${n}`);
    await jsm.consumers.add(stream, {
      durable_name: "acked",
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
    });
    const consumer = await js.consumers.get(stream, "acked");

    expect(await pull(consumer, 3, true)).toEqual(
      ["job-1", "job-2", "job-3"].map((data) => ({ data, redelivered: false })),
    );
    // The wait is the behaviour under test: an acked message must stay acked past its ack_wait,
    // where the control below sees the unacked one come back. No event marks "ack_wait passed".
    await sleep(ackWaitMs * 3);
    expect(await pull(consumer, 3, true)).toEqual([]);
    const info = await consumer.info();
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.consumer_seq).toBe(3);
  });

  it("control: an unacked message is redelivered after ack_wait", async () => {
    const js = jetstream(nc);
    await jsm.consumers.add(stream, {
      durable_name: "unacked",
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
    });
    const consumer = await js.consumers.get(stream, "unacked");

    expect(await pull(consumer, 1, false)).toEqual([{ data: "job-1", redelivered: false }]);
    // The same wait as above, so the control proves that wait long enough for a redelivery.
    await sleep(ackWaitMs * 3);
    expect(await pull(consumer, 1, true)).toEqual([{ data: "job-1", redelivered: true }]);
  });
});
