// Reporting messages that can never be valid as warden.invalid.<reason> events, so the audit keeps
// them. The report's id is derived from the original's stream position, so when several consumers
// (policy, audit, …) each reject the same message, JetStream de-duplicates their reports to one.
import type { InvalidMessageError } from "./errors.ts";
import { events } from "./events/index.ts";
import type { EventPublisher } from "./publish.ts";
import type { Topology } from "./subjects.ts";

/** How much of the original payload a report carries. */
export const INVALID_PAYLOAD_PREVIEW_BYTES = 4096;

export type InvalidOrigin = {
  subject: string;
  payload: Uint8Array;
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
  const id =
    origin.stream !== undefined && origin.streamSeq !== undefined
      ? `invalid-${origin.stream}-${origin.streamSeq}`
      : undefined;
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
