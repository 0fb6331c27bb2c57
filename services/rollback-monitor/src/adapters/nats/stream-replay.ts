// Rebuilds the monitor's state after a restart: reads WARDEN_EVENTS with an ordered consumer from
// `since` (deploy, signal and the monitor's own rollback / escalation events), up to the stream's
// last message at the time of the call, handing each one to `apply` in stream order.
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEvent, wardenCatalog } from "@warden/messaging";
import type { Envelope, Topology } from "@warden/messaging";

export function replaySubjects(t: Topology): string[] {
  return [t.subjects.deployAll, t.subjects.signalAll, t.subjects.rollbackAll, t.subjects.escalationAll];
}

export async function replayStream(
  nc: NatsConnection,
  t: Topology,
  since: Date,
  apply: (envelope: Envelope<unknown>, receivedAt: number) => Promise<void>,
): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(t.streams.events);
  const last = info.state.last_seq;
  if (info.state.messages === 0) return 0;
  const consumer = await jetstream(nc).consumers.get(t.streams.events, {
    filter_subjects: replaySubjects(t),
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: since.toISOString(),
  });
  let count = 0;
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 256, expires: 1_000 });
    let got = 0;
    let done = false;
    for await (const msg of batch) {
      got++;
      if (msg.seq > last) {
        done = true;
        break;
      }
      try {
        await apply(decodeEvent(msg.data, wardenCatalog), Math.floor(msg.info.timestampNanos / 1_000_000));
        count++;
      } catch {
        // An invalid message was reported by the live consumer when it arrived; skip it here.
      }
      if (msg.seq >= last || msg.info.pending === 0) done = true;
    }
    if (done || got === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return count;
}
