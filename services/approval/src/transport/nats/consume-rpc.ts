// wardenrpc.approval.consume.<agent>: the agent uses its approval, once, just before it acts. The
// subject's last token is the agent's identity (NATS permissions decide who may publish there).
// The payload's optional agentId is re-checked against the subject's agent (defence in depth): a
// mismatch is refused (refusal "identity_mismatch") and published as warden.approval.refused.
// Body: proto JSON of warden.approval.v1.ConsumeRequest; result: ConsumeResponse JSON.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { InvalidMessageError, serveRpc } from "@warden/messaging";
import type { Topology } from "@warden/messaging";
import type { RpcMetrics } from "@warden/telemetry";
import type { Logger } from "pino";
import { z } from "zod";
import type { ApprovalService } from "../../app/approval-service.ts";
import type { ApprovalEvents } from "../../app/ports.ts";
import { approvalToWire } from "../../wire/approval-wire.ts";
import { approvalWorkflowId } from "../../workflows/contract.ts";
import { agentOfSubject, IDENTITY_MISMATCH, refuseIdentityMismatch } from "./agent-identity.ts";

export const MAX_CONSUME_REQUEST_BYTES = 16 * 1024;

const ConsumeRequest = z.strictObject({
  actionId: z.string().min(1, "required").max(128),
  requestDigest: z.string().min(1, "required: the digest of the request about to run").max(256),
  agentId: z.string().max(128).optional(),
});

const SNAKE_TO_JSON: Record<string, string> = {
  action_id: "actionId",
  request_digest: "requestDigest",
  agent_id: "agentId",
};

export function parseConsumeRequest(bytes: Uint8Array): z.infer<typeof ConsumeRequest> {
  if (bytes.length > MAX_CONSUME_REQUEST_BYTES) {
    throw new InvalidMessageError("oversized", [
      { field: "(body)", reason: `${bytes.length} bytes, at most ${MAX_CONSUME_REQUEST_BYTES}` },
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new InvalidMessageError("malformed_json", [{ field: "(body)", reason: "not JSON" }]);
  }
  // proto3 JSON also allows the original (snake_case) field names.
  if (json !== null && typeof json === "object" && !Array.isArray(json)) {
    json = Object.fromEntries(Object.entries(json).map(([k, v]) => [SNAKE_TO_JSON[k] ?? k, v]));
  }
  const parsed = ConsumeRequest.safeParse(json);
  if (!parsed.success) {
    throw new InvalidMessageError(
      "schema",
      parsed.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", reason: i.message })),
    );
  }
  return parsed.data;
}

export function serveConsumeRpc(deps: {
  nc: NatsConnection;
  topology: Topology;
  service: ApprovalService;
  events: ApprovalEvents;
  log: Logger;
  metrics?: RpcMetrics;
}): Subscription {
  const { topology } = deps;
  return serveRpc(deps.nc, {
    subject: topology.rpc.approvalConsumeAll,
    queue: "approval",
    log: deps.log,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    handler: async ({ data, subject }) => {
      const agent = agentOfSubject(subject, topology.rpc.agentOfApprovalConsume);
      const request = parseConsumeRequest(data);
      const mismatch = await refuseIdentityMismatch(
        deps.events,
        "consume",
        agent,
        request.agentId,
        request.actionId,
      );
      if (mismatch !== undefined) return { consumed: false, refusal: IDENTITY_MISMATCH, message: mismatch };
      const answer = await deps.service.consume(agent, request.actionId, request.requestDigest);
      return {
        consumed: answer.consumed,
        ...(answer.refusal !== undefined && { refusal: answer.refusal }),
        message: answer.message,
        ...(answer.approval !== undefined && {
          approval: approvalToWire(answer.approval, approvalWorkflowId(answer.approval.actionId)),
        }),
      };
    },
  });
}
