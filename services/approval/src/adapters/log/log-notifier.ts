// Notifier that only logs (until approval-links' Slack-compatible adapter is wired in the root).
import type { Logger } from "pino";
import type { Notifier } from "../../app/ports.ts";

export function logNotifier(log: Logger): Notifier {
  return {
    notify(request) {
      log.info(
        {
          actionId: request.approval.actionId,
          kind: request.kind,
          channels: request.channels,
          roles: request.roles,
        },
        "approvers notified (log notifier)",
      );
      return Promise.resolve();
    },
  };
}
