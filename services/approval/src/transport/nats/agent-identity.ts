// The agent behind a wardenrpc.approval.*.<agent> request: the subject's last token (NATS
// permissions let an agent publish only its own), and the payload's optional agentId re-checked
// against it (defence in depth, as the policy does; ADR 0009). A mismatch is published as
// warden.approval.refused (code identity_mismatch) before the caller is answered.
import { InvalidMessageError } from "@warden/messaging";
import type { ApprovalEvents } from "../../app/ports.ts";

export const IDENTITY_MISMATCH = "identity_mismatch";

/** The subject's agent, or InvalidMessageError("identity") when the subject names none. */
export function agentOfSubject(subject: string, agentOf: (s: string) => string | undefined): string {
  const agent = agentOf(subject);
  if (agent === undefined) {
    throw new InvalidMessageError("identity", [{ field: "(subject)", reason: `${subject} names no agent` }]);
  }
  return agent;
}

/**
 * When the payload names an agent other than the subject's: publishes the refusal and returns the
 * message the caller is given; undefined when they agree (or the payload names none).
 */
export async function refuseIdentityMismatch(
  events: ApprovalEvents,
  attempt: "consume" | "verdict",
  subjectAgent: string,
  payloadAgent: string | undefined,
  actionId: string,
): Promise<string | undefined> {
  if (payloadAgent === undefined || payloadAgent === "" || payloadAgent === subjectAgent) return undefined;
  const message =
    `agentId ${JSON.stringify(payloadAgent)} is not the identity of the subject (${subjectAgent}): ` +
    "an agent may ask only for itself";
  await events.refused({
    actionId,
    agentId: subjectAgent,
    attempt,
    actor: { type: "ai_agent", id: subjectAgent, roles: [] },
    code: IDENTITY_MISMATCH,
    message,
  });
  return message;
}
