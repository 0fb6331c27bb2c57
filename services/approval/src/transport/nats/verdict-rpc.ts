// wardenrpc.approval.verdict.<agent>: an agent reads back the verdict of one of its own actions — a
// verdict published while it was cut off is not redelivered to its core subscription, and agents may
// not create consumers on WARDEN_EVENTS (ADR 0013). The subject's last token is the agent's identity
// (NATS permissions let it request only its own); the payload's optional agentId is re-checked
// against it. Another agent's action is answered exactly like a missing one ("not_found"), so an
// agent learns nothing about other agents' actions.
// Body: proto JSON of warden.approval.v1.VerdictRequest; result: VerdictResponse JSON.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { parseEventDataBytes, RpcError, rpcBodies, serveRpc } from "@warden/messaging";
import type { ActionVerdictData, Topology, VerdictResponseData } from "@warden/messaging";
import type { RpcMetrics } from "@warden/telemetry";
import type { Logger } from "pino";
import type { ApprovalService } from "../../app/approval-service.ts";
import { ApprovalNotFoundError } from "../../app/ports.ts";
import type { ApprovalEvents } from "../../app/ports.ts";
import { statusToWire } from "../../wire/approval-wire.ts";
import type { ApprovalView } from "../../workflows/contract.ts";
import { agentOfSubject, IDENTITY_MISMATCH, refuseIdentityMismatch } from "./agent-identity.ts";

export const MAX_VERDICT_REQUEST_BYTES = 4 * 1024;

/** The verdict the workflow published (or will publish) for a resolved approval; undefined while open. */
export function verdictOf(view: ApprovalView): ActionVerdictData | undefined {
  if (view.status === "pending" || view.status === "frozen") return undefined;
  const proceed = view.status === "approved";
  return {
    actionId: view.actionId,
    agentId: view.agentId,
    verdict: proceed ? "VERDICT_PROCEED" : "VERDICT_ABORT",
    status: statusToWire(view.status) as ActionVerdictData["status"],
    reason: view.reason ?? view.status,
    requestDigest: view.requestDigest,
    bundleDigest: view.bundleDigest,
    killswitchEpoch: view.killswitchEpoch,
    ...(view.resolvedAt !== undefined && { decidedAt: view.resolvedAt }),
  };
}

export function serveVerdictRpc(deps: {
  nc: NatsConnection;
  topology: Topology;
  service: Pick<ApprovalService, "get">;
  events: ApprovalEvents;
  log: Logger;
  metrics?: RpcMetrics;
}): Subscription {
  const { topology } = deps;
  return serveRpc(deps.nc, {
    subject: topology.rpc.approvalVerdictAll,
    queue: "approval",
    log: deps.log,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    handler: async ({ data, subject }): Promise<VerdictResponseData> => {
      const agent = agentOfSubject(subject, topology.rpc.agentOfApprovalVerdict);
      const request = parseEventDataBytes(data, rpcBodies.verdictRequest, MAX_VERDICT_REQUEST_BYTES);
      const mismatch = await refuseIdentityMismatch(
        deps.events,
        "verdict",
        agent,
        request.agentId,
        request.actionId,
      );
      if (mismatch !== undefined) {
        throw new RpcError(IDENTITY_MISMATCH, mismatch, [{ field: "agentId", reason: mismatch }]);
      }
      const notFound: VerdictResponseData = {
        state: "not_found",
        message: `no approval of ${agent} for action ${request.actionId}`,
      };
      let view: ApprovalView;
      try {
        view = await deps.service.get(request.actionId);
      } catch (err) {
        if (err instanceof ApprovalNotFoundError) return notFound;
        throw err;
      }
      if (view.agentId !== agent) return notFound;
      const verdict = verdictOf(view);
      return verdict === undefined
        ? { state: "pending", message: `the approval is ${view.status}: no verdict yet` }
        : { state: "decided", verdict, message: `the approval is ${view.status}` };
    },
  });
}
