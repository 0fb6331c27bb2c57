// ReEnableApprovals over NATS: the re-enable is the kill-switch service's own ActionRequest on
// `warden.action.requested.kill-switch` (the policy decides it; an approval_required decision goes
// to the approval service), and its approval is used once through the approval service's consume
// RPC as the agent `kill-switch`. Verdicts arrive on `warden.action.verdict.*.kill-switch`.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { decodeEventAs, events, parseEventData, requestRpc, rpcBodies } from "@warden/messaging";
import type { EventPublisher, Topology } from "@warden/messaging";
import type { Logger } from "pino";
import type { ReEnableApprovals } from "../../app/ports.ts";
import type { ReEnabler } from "../../app/re-enable.ts";
import { KILL_SWITCH_AGENT_ID } from "../../domain/re-enable.ts";

export function natsReEnableApprovals(
  nc: NatsConnection,
  publisher: EventPublisher,
  t: Topology,
  options: { timeoutMs?: number } = {},
): ReEnableApprovals {
  const encoder = new TextEncoder();
  return {
    async request(request) {
      await publisher.publish(t.subjects.actionRequested(KILL_SWITCH_AGENT_ID), events.actionRequested, {
        id: `${request.actionId}.request`,
        actionId: request.actionId,
        actor: { type: "service", id: KILL_SWITCH_AGENT_ID, roles: [] },
        data: request,
      });
    },
    async consume(actionId, requestDigest) {
      const result = await requestRpc(
        nc,
        t.rpc.approvalConsume(KILL_SWITCH_AGENT_ID),
        encoder.encode(JSON.stringify({ actionId, requestDigest })),
        { timeoutMs: options.timeoutMs ?? 5_000 },
      );
      const response = parseEventData(rpcBodies.consumeResponse, result, "result");
      return {
        consumed: response.consumed === true,
        refusal: response.refusal,
        message: response.message ?? "",
      };
    },
  };
}

/** Completes a re-enable when its verdict arrives (a missed one is found by the periodic sweep). */
export function followReEnableVerdicts(
  nc: NatsConnection,
  t: Topology,
  reEnabler: ReEnabler,
  log: Logger,
): Subscription {
  return nc.subscribe(t.subjects.actionVerdictsOf(KILL_SWITCH_AGENT_ID), {
    callback: (err, msg) => {
      if (err !== null) return;
      void (async () => {
        const envelope = decodeEventAs(msg.data, events.actionVerdict);
        const { actionId, verdict } = envelope.data;
        const outcome = await reEnabler.complete(
          actionId,
          verdict === "VERDICT_PROCEED" ? "proceed" : verdict === "VERDICT_ABORT" ? "abort" : "unknown",
        );
        if (outcome !== undefined) log.info({ actionId, outcome }, "re-enable verdict handled");
      })().catch((e: unknown) => {
        log.warn({ err: e }, "re-enable verdict not handled; the sweep retries it");
      });
    },
  });
}
