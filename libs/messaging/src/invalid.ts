// Reporting messages that can never be valid as warden.invalid.<reason> events, so the audit keeps
// them. One report per rejection, whoever sees the message:
// - an envelope failure (scope `envelope`: not a Warden envelope at all) is the same for every
//   consumer, so one designated reporter reports it: the audit's consumer, which reads every subject
//   of WARDEN_EVENTS. Other consumers terminate it without a report (consumeEvents'
//   `reportEnvelopeFailures`). Its id is `invalid-<stream>-<seq>`.
// - an event failure (scope `event`: this consumer cannot accept the type, the data or the subject's
//   agent) is reported by the consumer that found it; its id is `invalid-<stream>-<seq>-<detectedBy>`,
//   so two consumers rejecting one message for their own reasons are two facts, and a redelivery to
//   the same consumer de-duplicates.
// `detectedBy` is always the durable consumer that rejected the message; the report's envelope
// `source` names the service.
import type { InvalidMessageError } from "./errors.ts";
import { events } from "./events/index.ts";
import type { EventPublisher } from "./publish.ts";
import type { Topology } from "./subjects.ts";

/** How much of the original payload a report carries. */
export const INVALID_PAYLOAD_PREVIEW_BYTES = 4096;

export type InvalidOrigin = {
  subject: string;
  payload: Uint8Array;
  /** The durable consumer that rejected the message. */
  detectedBy: string;
  streamSeq?: number | undefined;
  stream?: string | undefined;
};

export async function reportInvalid(
  publisher: EventPublisher,
  topology: Topology,
  error: InvalidMessageError,
  origin: InvalidOrigin,
): Promise<void> {
  const position =
    origin.stream !== undefined && origin.streamSeq !== undefined
      ? `invalid-${origin.stream}-${origin.streamSeq}`
      : undefined;
  const id =
    position === undefined || error.scope === "envelope" ? position : `${position}-${origin.detectedBy}`;
  await publisher.publish(topology.subjects.invalid(error.reason), events.invalidMessage, {
    id,
    data: {
      reason: error.reason,
      detail: error.message.slice(0, 4096),
      field: error.issues[0]?.field,
      originalSubject: origin.subject,
      originalPayload: Buffer.from(origin.payload.subarray(0, INVALID_PAYLOAD_PREVIEW_BYTES)).toString(
        "base64",
      ),
      payloadTruncated: origin.payload.byteLength > INVALID_PAYLOAD_PREVIEW_BYTES,
      originalSize: origin.payload.byteLength,
      detectedBy: origin.detectedBy,
      receivedAt: new Date().toISOString(),
      streamSeq: origin.streamSeq,
    },
  });
}
