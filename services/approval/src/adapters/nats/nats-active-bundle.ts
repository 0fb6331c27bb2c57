// ActiveBundle from the policy's bundle events: the last warden.policy.bundle.activated in the
// events stream at start, then every new one as it is published. Until one is seen (a fresh
// installation) the digest is unknown and the approval's decision-time digest stands.
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { decodeEventAs, events } from "@warden/messaging";
import type { Topology } from "@warden/messaging";
import type { Logger } from "pino";
import type { ActiveBundle } from "../../app/ports.ts";

export async function watchActiveBundle(
  nc: NatsConnection,
  topology: Topology,
  log: Logger,
): Promise<ActiveBundle & { close(): void }> {
  const subject = topology.subjects.policyBundle("activated");
  let digest: string | undefined;
  const take = (bytes: Uint8Array): void => {
    try {
      const event = decodeEventAs(bytes, events.bundleActivated);
      if (event.data.digest !== "") digest = event.data.digest;
    } catch (err) {
      log.warn({ err }, "ignoring an unreadable bundle_activated event");
    }
  };
  // Subscribe first, so an activation between the read and the subscription is not missed.
  const sub: Subscription = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err === null) take(msg.data);
    },
  });
  try {
    const jsm = await jetstreamManager(nc);
    const last = await jsm.streams.getMessage(topology.streams.events, { last_by_subj: subject });
    if (last !== null && digest === undefined) take(last.data);
  } catch (err) {
    log.debug({ err }, "no bundle_activated event in the stream yet");
  }
  return {
    digest: () => digest,
    close: () => sub.unsubscribe(),
  };
}
