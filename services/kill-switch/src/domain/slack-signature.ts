// Slack's request signing (api.slack.com/authentication/verifying-requests-from-slack):
// `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body)>`,
// `X-Slack-Request-Timestamp` in seconds, refused when more than five minutes from now.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

export type SignatureCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: "missing" | "malformed" | "stale" | "mismatch";
      readonly detail: string;
    };

export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export function verifySlackSignature(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  nowMs: number;
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (timestamp === undefined || signature === undefined) {
    return {
      ok: false,
      reason: "missing",
      detail: "X-Slack-Signature and X-Slack-Request-Timestamp are required",
    };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, reason: "malformed", detail: "X-Slack-Request-Timestamp must be whole seconds" };
  }
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) {
    return { ok: false, reason: "malformed", detail: "X-Slack-Signature must be v0=<64 hex digits>" };
  }
  const skew = Math.abs(input.nowMs / 1000 - Number(timestamp));
  if (skew > SLACK_MAX_SKEW_SECONDS) {
    return {
      ok: false,
      reason: "stale",
      detail: `timestamp is ${Math.round(skew)} s from now (limit 300 s)`,
    };
  }
  const expected = Buffer.from(slackSignature(input.secret, timestamp, input.body));
  if (!timingSafeEqual(expected, Buffer.from(signature))) {
    return { ok: false, reason: "mismatch", detail: "signature does not match the body" };
  }
  return { ok: true };
}
