// Notifier over a Slack-compatible incoming webhook: one POST of JSON `{text, blocks}` per notice
// (text is the fallback shown in notifications; blocks carry the details and one pair of Approve /
// Reject link buttons per approver). Retries (p-retry, exponential backoff) on network errors,
// timeouts, 429 and 5xx; a 4xx other than 429 is final. Each attempt has its own timeout.
//
// Secrets: the webhook URL's path is its credential and the links are bearer capabilities, so
// neither is ever logged nor put into an error message: only the host and the HTTP status are.
import type { Logger } from "pino";
import pRetry, { AbortError } from "p-retry";
import type { ApprovalNotice } from "../../domain/approval-notice.ts";
import type { Notifier } from "../../app/ports.ts";

export interface SlackWebhookNotifierOptions {
  /** The incoming-webhook URL (secret). */
  url: string;
  /** Timeout of one attempt, ms. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff, ms (doubles each retry). */
  minBackoffMs?: number;
  log: Pick<Logger, "warn" | "info">;
  fetch?: typeof fetch;
}

export class WebhookDeliveryError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = "WebhookDeliveryError";
    this.status = status;
  }
}

/** Escapes text for Slack mrkdwn (`&`, `<`, `>` are its control characters). */
export function mrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const RISK_MARK: Record<ApprovalNotice["risk"], string> = {
  low: ":large_green_circle: low",
  medium: ":large_yellow_circle: medium",
  high: ":large_orange_circle: high",
  critical: ":red_circle: critical",
};

/** The first words of a notice, by kind (asked now, or told of a change). */
export function headlineOf(notice: ApprovalNotice): string {
  switch (notice.kind ?? "requested") {
    case "requested":
      return "Approval needed";
    case "escalated":
      return "Approval escalated to you";
    case "break_glass":
      return "BREAK-GLASS approval (review required)";
    case "frozen":
      return "Approval frozen by an emergency stop";
    case "released":
      return "Approval released after the emergency stop";
    case "resolved":
      return `Approval ${notice.status ?? "resolved"}`;
  }
}

/** The webhook payload for a notice (exported for tests and for other Slack-compatible channels). */
export function slackMessageOf(notice: ApprovalNotice): { text: string; blocks: unknown[] } {
  const e = mrkdwn;
  const needed = notice.votesNeeded === 1 ? "1 more approval" : `${notice.votesNeeded} more approvals`;
  const roles = notice.missingRoles.length > 0 ? `, including ${notice.missingRoles.map(e).join(", ")}` : "";
  const rules =
    notice.matchedRules.length === 0
      ? "none"
      : notice.matchedRules
          .map((r) => `• \`${e(r.ruleId)}\`${r.reason ? ` — ${e(r.reason)}` : ""}`)
          .join("\n");
  const headline = headlineOf(notice);
  const text =
    (notice.kind ?? "requested") === "requested"
      ? `Approval needed (${notice.risk} risk, ${notice.environment}): ${notice.agentId} asks to ${notice.action} — ${needed}`
      : `${headline} (${notice.risk} risk, ${notice.environment}): ${notice.agentId} asks to ${notice.action}${notice.reason ? ` — ${notice.reason}` : ""}`;
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: `${headline}: ${notice.action}`.slice(0, 150) } },
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*Who asks*\n${e(notice.requestedBy)}` },
        { type: "mrkdwn", text: `*Action*\n${e(notice.action)}` },
        { type: "mrkdwn", text: `*Risk*\n${RISK_MARK[notice.risk]}` },
        { type: "mrkdwn", text: `*Environment*\n${e(notice.environment)}` },
        { type: "mrkdwn", text: `*Votes still needed*\n${needed}${roles}` },
        {
          type: "mrkdwn",
          text: `*Deadline*\n${notice.deadline === undefined ? "none" : e(notice.deadline)}`,
        },
      ],
    },
    {
      type: "section",
      text: { type: "mrkdwn", text: `*Change*\n${e(notice.changeSummary || "(no summary)")}` },
    },
    { type: "section", text: { type: "mrkdwn", text: `*Matched rules*\n${rules}` } },
  ];
  if (notice.aiRecommendation !== undefined) {
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: `*AI recommendation* (shown, never counted): ${e(notice.aiRecommendation.decision)}\n${e(notice.aiRecommendation.rationale)}`,
      },
    });
  }
  for (const link of notice.links) {
    blocks.push({
      type: "actions",
      block_id: `links-${link.approver}`.slice(0, 255),
      elements: [
        {
          type: "button",
          style: "primary",
          text: { type: "plain_text", text: `Approve as ${link.approver}`.slice(0, 75) },
          url: link.approveUrl,
        },
        {
          type: "button",
          style: "danger",
          text: { type: "plain_text", text: `Reject as ${link.approver}`.slice(0, 75) },
          url: link.rejectUrl,
        },
      ],
    });
  }
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: `action \`${e(notice.actionId)}\` · each link is personal, single use and expires`,
      },
    ],
  });
  return { text, blocks };
}

export function createSlackWebhookNotifier(options: SlackWebhookNotifierOptions): Notifier {
  const host = new URL(options.url).host;
  const doFetch = options.fetch ?? fetch;
  const attempt = async (body: string): Promise<void> => {
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      throw new WebhookDeliveryError(
        timedOut
          ? `webhook ${host}: no answer within ${options.timeoutMs} ms`
          : `webhook ${host}: connection failed`,
      );
    }
    // Drain the body so the connection can be reused; its content is not needed (Slack answers "ok").
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    const error = new WebhookDeliveryError(`webhook ${host}: HTTP ${response.status}`, response.status);
    if (response.status === 429 || response.status >= 500) throw error;
    throw new AbortError(error);
  };
  return {
    async notify(notice) {
      const body = JSON.stringify(slackMessageOf(notice));
      await pRetry(() => attempt(body), {
        retries: options.retries,
        minTimeout: options.minBackoffMs ?? 500,
        factor: 2,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          options.log.warn(
            { host, actionId: notice.actionId, attempt: attemptNumber, retriesLeft, reason: error.message },
            "approval notification not delivered yet",
          );
        },
      });
      options.log.info(
        { host, actionId: notice.actionId, approvers: notice.links.length },
        "approvers notified",
      );
    },
  };
}
