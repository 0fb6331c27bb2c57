// Config keys of the approval notifier and the signed links, to spread into services/approval's
// config schema: `z.object({ ...serviceKeys, …, ...approvalLinkKeys })`. Values arrive as strings
// (environment variables); an empty string counts as unset.
import { integer, secret, url } from "@warden/config";
import { z } from "zod";
import { MIN_LINK_KEY_BYTES } from "../../domain/link-token.ts";

const ApproversJson = z.record(
  z.string().min(1, "empty person id"),
  z.array(z.string().min(1, "empty role name")).max(64),
);

export const approvalLinkKeys = {
  APPROVAL_LINK_BASE_URL: url(
    ["http:", "https:"],
    "the public origin serving /approvals/links/<token> (the approval ops port), e.g. https://approvals.example.com",
  ),
  APPROVAL_LINK_SIGNING_KEY: secret(
    `the HMAC key signing links (HS256), at least ${MIN_LINK_KEY_BYTES} bytes`,
  ).refine(
    (value) => new TextEncoder().encode(value).byteLength >= MIN_LINK_KEY_BYTES,
    `shorter than ${MIN_LINK_KEY_BYTES} bytes`,
  ),
  APPROVAL_LINK_TTL_SECONDS: integer(
    { min: 60, max: 86_400 },
    "how long a link is valid, seconds (60-86400), e.g. 900",
  ).default(900),
  APPROVAL_LINK_APPROVERS: z
    .string()
    .default("{}")
    .transform((value, ctx) => {
      try {
        const parsed = ApproversJson.safeParse(JSON.parse(value));
        if (parsed.success) return parsed.data;
        ctx.addIssue({
          code: "custom",
          message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
        });
      } catch {
        ctx.addIssue({ code: "custom", message: "not valid JSON" });
      }
      return z.NEVER;
    })
    .describe(
      'who receives links and their roles, JSON {"person-id": ["role", …]}, e.g. {"alice":["team-lead"]}',
    ),
  APPROVAL_SLACK_WEBHOOK_URL: url(
    ["http:", "https:"],
    "a Slack-compatible incoming-webhook URL (secret); unset: no chat notice",
  ).optional(),
  APPROVAL_SLACK_TIMEOUT_MS: integer(
    { min: 100, max: 60_000 },
    "timeout of one webhook POST, ms, e.g. 5000",
  ).default(5000),
  APPROVAL_SLACK_RETRIES: integer(
    { min: 0, max: 10 },
    "webhook retries after the first attempt, e.g. 3",
  ).default(3),
};

export type ApprovalLinkConfig = z.output<z.ZodObject<typeof approvalLinkKeys>>;
