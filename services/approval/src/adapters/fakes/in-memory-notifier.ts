import type { ApprovalNotice } from "../../domain/approval-notice.ts";
import type { Notifier } from "../../app/ports.ts";

/** A Notifier that keeps what it was given. */
export function createInMemoryNotifier(): Notifier & { readonly sent: ApprovalNotice[] } {
  const sent: ApprovalNotice[] = [];
  return {
    sent,
    notify(notice) {
      sent.push(notice);
      return Promise.resolve();
    },
  };
}
