// Composition of the notifier and the signed links, for the service root (start-approval-service.ts)
// to call with its own NATS connection, verifier, Temporal-backed vote/read functions and refusal
// publisher. Returns the ops-server HTTP handler and the notifier the workflow's notify activity uses.
// Without APPROVAL_LINK_BASE_URL / APPROVAL_LINK_SIGNING_KEY the notices carry no links and the
// handler answers nothing; without APPROVAL_SLACK_WEBHOOK_URL the notices are only logged.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Topology } from "@warden/messaging";
import type { Principal } from "@warden/identity";
import type { Logger } from "pino";
import { createStaticApproverDirectory } from "./adapters/config/static-approver-directory.ts";
import { createSlackWebhookNotifier } from "./adapters/http/slack-webhook-notifier.ts";
import { createKvUsedLinkStore } from "./adapters/nats/kv-used-link-store.ts";
import { createLinkVotes } from "./app/link-votes.ts";
import type { LinkVotes } from "./app/link-votes.ts";
import type { ApprovalReader, LinkRefusalSink, Notifier, VoteSubmitter } from "./app/ports.ts";
import type { ApprovalNotice } from "./domain/approval-notice.ts";
import { createApprovalNotifier } from "./app/notify-approvers.ts";
import type { ApprovalNotifier } from "./app/notify-approvers.ts";
import { createLinkTokens } from "./domain/link-token.ts";
import { approvalLinksHttp, approvalLinkUrl } from "./transport/http/approval-links-http.ts";
import type { ApprovalLinkConfig } from "./transport/http/links-config.ts";

/** The link keys with the base URL and signing key optional (both set: links on). */
export type ApprovalNoticeConfig = Omit<
  ApprovalLinkConfig,
  "APPROVAL_LINK_BASE_URL" | "APPROVAL_LINK_SIGNING_KEY"
> &
  Partial<Pick<ApprovalLinkConfig, "APPROVAL_LINK_BASE_URL" | "APPROVAL_LINK_SIGNING_KEY">>;

export interface ApprovalLinksDeps {
  config: ApprovalNoticeConfig;
  nc: NatsConnection;
  topology: Topology;
  /** createVerifier(config) of @warden/service. */
  verifier: { verify(token: string): Promise<Principal> };
  vote: VoteSubmitter;
  read: ApprovalReader;
  refusals: LinkRefusalSink;
  log: Logger;
  /** Used when APPROVAL_SLACK_WEBHOOK_URL is unset (default: a notifier that only logs). */
  fallbackNotifier?: Notifier;
}

export interface ApprovalLinks {
  /** Mount on the ops server: answers /approvals/links/<token>, returns false for other paths. */
  http: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  notifier: ApprovalNotifier;
  /** Undefined when links are not configured. */
  links: LinkVotes | undefined;
}

/** A notifier that only logs what it would have sent (never the links: they are capabilities). */
export function logOnlyNotifier(log: Logger): Notifier {
  return {
    notify(notice: ApprovalNotice) {
      log.info(
        { actionId: notice.actionId, kind: notice.kind ?? "requested", approvers: notice.links.length },
        "no APPROVAL_SLACK_WEBHOOK_URL: approvers not notified by chat",
      );
      return Promise.resolve();
    },
  };
}

export async function createApprovalLinks(deps: ApprovalLinksDeps): Promise<ApprovalLinks> {
  const { config, log } = deps;
  const channel =
    config.APPROVAL_SLACK_WEBHOOK_URL !== undefined
      ? createSlackWebhookNotifier({
          url: config.APPROVAL_SLACK_WEBHOOK_URL,
          timeoutMs: config.APPROVAL_SLACK_TIMEOUT_MS,
          retries: config.APPROVAL_SLACK_RETRIES,
          log: log.child({ module: "slack-webhook" }),
        })
      : (deps.fallbackNotifier ?? logOnlyNotifier(log));
  const directory = createStaticApproverDirectory(config.APPROVAL_LINK_APPROVERS);
  const baseUrl = config.APPROVAL_LINK_BASE_URL;
  const key = config.APPROVAL_LINK_SIGNING_KEY;
  if (baseUrl === undefined || key === undefined) {
    return {
      http: () => Promise.resolve(false),
      notifier: createApprovalNotifier({ notifier: channel, directory }),
      links: undefined,
    };
  }
  const tokens = createLinkTokens({
    key: new TextEncoder().encode(key),
    ttlSeconds: config.APPROVAL_LINK_TTL_SECONDS,
    issuer: "warden-approval",
  });
  const used = createKvUsedLinkStore(await new Kvm(deps.nc).open(deps.topology.kv.approvalLinks));
  const links = createLinkVotes({
    tokens,
    used,
    vote: deps.vote,
    read: deps.read,
    refusals: deps.refusals,
    directory,
    authenticate: (bearer) => deps.verifier.verify(bearer),
  });
  return {
    http: approvalLinksHttp({ links, baseUrl, log: log.child({ module: "approval-links" }) }),
    notifier: createApprovalNotifier({
      notifier: channel,
      tokens,
      directory,
      linkUrl: approvalLinkUrl(baseUrl),
    }),
    links,
  };
}
