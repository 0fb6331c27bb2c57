// RollbackExecutor: the `warden.rollback.requested` event is published by the execute activity;
// this adapter additionally POSTs the request to the deployment system's webhook when one is
// configured (a non-2xx answer fails the activity, so Temporal retries, then the rollback fails).
import type { Notifier, RollbackExecutor } from "../../app/ports.ts";

export function webhookExecutor(options: { url?: string | undefined; timeoutMs?: number }): RollbackExecutor {
  return {
    async execute(request, workflowId) {
      if (options.url === undefined) return;
      const response = await fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ workflowId, ...request }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`rollback webhook answered ${response.status}`);
    },
  };
}

/** Notifications as structured log lines (chat and pager adapters plug in here). */
export function logNotifier(log: { info(obj: object, msg: string): void }): Notifier {
  return {
    notify(kind, request, detail) {
      log.info(
        { kind, deploymentId: request.deploymentId, service: request.service, detail },
        `rollback ${kind}`,
      );
      return Promise.resolve();
    },
  };
}
