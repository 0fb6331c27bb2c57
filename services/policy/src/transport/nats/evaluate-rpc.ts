// Synchronous decisions over NATS request-reply: wardenrpc.policy.evaluate.<agent>, queue group
// "policy" so replicas share the load. Body: the proto JSON of warden.common.v1.ActionRequest.
// Reply: { ok: true, result: <warden.policy.v1.Decision JSON> } or { ok: false, error: {code,
// message, issues} }. The decision is recorded (warden.decision.*) before the reply.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Topology } from "@warden/messaging";
import type { ActionRequestData } from "@warden/messaging";
import { events, InvalidMessageError, parseEventDataBytes, serveRpc } from "@warden/messaging";
import type { RpcMetrics } from "@warden/telemetry";
import type { Logger } from "pino";
import type { PolicyMetrics } from "../../adapters/metrics.ts";
import type { PolicyService } from "../../app/policy-service.ts";
import { BUILTIN } from "../../domain/evaluator.ts";
import { actionRequestFromWire, decisionToWire } from "../../wire/wire.ts";

export const MAX_RPC_REQUEST_BYTES = 128 * 1024;

/** Parses an RPC body (any form the proto3 JSON mapping allows); throws InvalidMessageError naming the field. */
export function parseRpcRequest(bytes: Uint8Array): ActionRequestData {
  return parseEventDataBytes(bytes, events.actionRequested, MAX_RPC_REQUEST_BYTES);
}

export function serveEvaluateRpc(deps: {
  nc: NatsConnection;
  topology: Topology;
  service: PolicyService;
  log: Logger;
  metrics?: RpcMetrics;
  policyMetrics?: PolicyMetrics;
}): Subscription {
  const { topology } = deps;
  return serveRpc(deps.nc, {
    subject: topology.rpc.policyEvaluateAll,
    queue: "policy",
    log: deps.log,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    handler: async ({ data, subject }) => {
      const started = performance.now();
      try {
        const agent = topology.rpc.agentOfPolicyEvaluate(subject);
        if (agent === undefined)
          throw new InvalidMessageError("identity", [
            { field: "(subject)", reason: `${subject} names no agent` },
          ]);
        const wire = parseRpcRequest(data);
        const request = actionRequestFromWire(wire);
        const origin = { authenticatedAgentId: agent, wireRequest: wire };
        const { decision, stop } = await deps.service.decide(request, origin);
        deps.policyMetrics?.decided("rpc", (performance.now() - started) / 1000);
        return decisionToWire(decision, wire, stop, BUILTIN.stopActive);
      } catch (err) {
        if (err instanceof InvalidMessageError) deps.policyMetrics?.invalid("rpc", err.reason);
        throw err;
      }
    },
  });
}
