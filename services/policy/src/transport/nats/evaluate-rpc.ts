// Synchronous decisions over NATS request-reply: wardenrpc.policy.evaluate.<agent>, queue group
// "policy" so replicas share the load. Body: the proto JSON of warden.common.v1.ActionRequest.
// Reply: { ok: true, result: <warden.policy.v1.Decision JSON> } or { ok: false, error: {code,
// message, issues} }. The decision is recorded (warden.decision.*) before the reply.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Topology } from "@warden/messaging";
import { ActionRequestData, InvalidMessageError, parseJsonBytes, serveRpc } from "@warden/messaging";
import type { Logger } from "pino";
import type { PolicyService } from "../../app/policy-service.ts";
import { BUILTIN } from "../../domain/evaluator.ts";
import { actionRequestFromWire, decisionToWire } from "../../wire/wire.ts";

export const MAX_RPC_REQUEST_BYTES = 128 * 1024;

/** Parses an RPC body; throws InvalidMessageError naming the field. */
export function parseRpcRequest(bytes: Uint8Array): ActionRequestData {
  return parseJsonBytes(bytes, ActionRequestData, MAX_RPC_REQUEST_BYTES);
}

export function serveEvaluateRpc(deps: {
  nc: NatsConnection;
  topology: Topology;
  service: PolicyService;
  log: Logger;
}): Subscription {
  const { topology } = deps;
  return serveRpc(deps.nc, {
    subject: topology.rpc.policyEvaluateAll,
    queue: "policy",
    log: deps.log,
    handler: async ({ data, subject }) => {
      const agent = topology.rpc.agentOfPolicyEvaluate(subject);
      if (agent === undefined)
        throw new InvalidMessageError("identity", [
          { field: "(subject)", reason: `${subject} names no agent` },
        ]);
      const wire = parseRpcRequest(data);
      const request = actionRequestFromWire(wire);
      const origin = { authenticatedAgentId: agent, wireRequest: wire };
      const { decision, stop } = await deps.service.decide(request, origin);
      return decisionToWire(decision, wire, stop, BUILTIN.stopActive);
    },
  });
}
