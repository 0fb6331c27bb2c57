// KillSwitchEvents and AcknowledgementView in memory: events are kept in order; acknowledgements
// also feed the view, as the NATS adapter's stream consumer does.
import type {
  Acknowledgement,
  AcknowledgementView,
  Deactivation,
  KillSwitchEvents,
  Refusal,
} from "../../app/ports.ts";
import type { PendingDeactivation } from "../../domain/deactivation.ts";
import type { StopRecord } from "../../domain/stop-record.ts";

export type RecordedEvent =
  | { type: "activated"; records: readonly StopRecord[]; epoch: number }
  | { type: "deactivation_approved"; pending: PendingDeactivation }
  | { type: "deactivated"; deactivation: Deactivation }
  | { type: "refused"; refusal: Refusal }
  | { type: "acknowledged"; ack: Acknowledgement }
  | { type: "reenabled"; event: Parameters<KillSwitchEvents["reEnabled"]>[0] };

export type InMemoryEvents = KillSwitchEvents & AcknowledgementView & { readonly recorded: RecordedEvent[] };

export function createInMemoryEvents(): InMemoryEvents {
  const recorded: RecordedEvent[] = [];
  const acks = new Map<string, Acknowledgement>();
  const push = (event: RecordedEvent): Promise<void> => {
    recorded.push(structuredClone(event));
    return Promise.resolve();
  };
  return {
    recorded,
    activated: (records, epoch) => push({ type: "activated", records, epoch }),
    deactivationApproved: (pending) => push({ type: "deactivation_approved", pending }),
    deactivated: (deactivation) => push({ type: "deactivated", deactivation }),
    refused: (refusal) => push({ type: "refused", refusal }),
    acknowledged: (ack) => {
      acks.set(ack.instanceId, ack);
      return push({ type: "acknowledged", ack });
    },
    reEnabled: (event) => push({ type: "reenabled", event }),
    latest: () => [...acks.values()],
  };
}
