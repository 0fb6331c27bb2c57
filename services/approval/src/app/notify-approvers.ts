// Builds the chat notice for an approval waiting at its current level: who asks, what, the risk
// and environment, the change summary, the matched rules, the AI recommendation, votes still
// needed, the deadline, and for each person holding a role asked now an Approve and a Reject link.
// `announce` is the notify activity's implementation: every kind of change (requested, escalated,
// resolved, break-glass, frozen, released) becomes a notice; only "asked now" notices carry links.
import type { NotifyRequest } from "../activities/activities.ts";
import type { ApprovalInput, ApprovalView } from "../workflows/contract.ts";
import type { ApprovalNotice, NoticeKind, NoticeLink } from "../domain/approval-notice.ts";
import { riskName } from "../domain/link-token.ts";
import type { LinkTokens } from "../domain/link-token.ts";
import type { ApproverDirectory, Notifier } from "./ports.ts";

export interface ApprovalNotifierDeps {
  notifier: Notifier;
  /** Link signing; without it (or linkUrl) notices carry no links. */
  tokens?: LinkTokens | undefined;
  directory: ApproverDirectory;
  /** The absolute URL of a link token (the transport's `approvalLinkUrl(baseUrl)`). */
  linkUrl?: ((token: string) => string) | undefined;
}

export interface ApprovalNotifier {
  /** Notifies the current level's approvers (with links); returns what was sent. */
  notifyApprovers(input: ApprovalInput, view: ApprovalView): Promise<ApprovalNotice>;
  /** The notify activity: a notice of this kind; links only for requested / escalated while pending. */
  announce(request: NotifyRequest): Promise<ApprovalNotice>;
}

const ASKING: ReadonlySet<NoticeKind> = new Set(["requested", "escalated"]);

/** The input's fields a notice needs, from the view alone (a history scheduled without the input). */
function inputOf(view: ApprovalView): ApprovalInput {
  return {
    actionId: view.actionId,
    agentId: view.agentId,
    requestDigest: view.requestDigest,
    bundleDigest: view.bundleDigest,
    killswitchEpoch: view.killswitchEpoch,
    risk: view.risk ?? "RISK_LEVEL_UNSPECIFIED",
    environment: view.environment ?? "",
    definition: {
      workflow: view.workflow ?? "",
      minApprovers: view.required,
      eligibleRoles: view.currentRoles,
      requiredRoles: [],
      timeoutSeconds: 0,
      escalation: [],
      aiMayRecommend: false,
      notify: [],
    },
    decision: {},
    breakGlassRoles: [],
    breakGlassValiditySeconds: 0,
    approvalValiditySeconds: 0,
    createdAt: view.createdAt,
  };
}

const str = (value: unknown): string => (typeof value === "string" ? value : "");
const obj = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** The request's what/how/where/why in one line, from the decision's request (proto3 JSON). */
export function changeSummaryOf(request: Record<string, unknown>): string {
  const what = [
    str(request["action"]),
    str(request["tool"]) && `via ${str(request["tool"])}`,
    str(request["target"]) && `on ${str(request["target"])}`,
  ]
    .filter((part) => part !== "")
    .join(" ");
  const why = str(request["reason"]);
  const ticket = str(request["ticket"]);
  return [what, why && `— ${why}`, ticket && `(${ticket})`].filter((part) => part !== "").join(" ");
}

export function createApprovalNotifier(deps: ApprovalNotifierDeps): ApprovalNotifier {
  const build = async (
    input: ApprovalInput,
    view: ApprovalView,
    kind: NoticeKind,
    withLinks: boolean,
  ): Promise<ApprovalNotice> => {
    const request = obj(input.decision["request"]);
    const rules = Array.isArray(input.decision["matchedRules"]) ? input.decision["matchedRules"] : [];
    const risk = riskName(input.risk);
    const changeSummary = changeSummaryOf(request);
    const recommendation = view.recommendations.at(-1);
    const ai = obj(request["ai"]);
    const launchedBy = input.requestedBy?.id;
    const base = {
      actionId: input.actionId,
      agentId: input.agentId,
      risk,
      environment: input.environment,
      summary: changeSummary,
    };
    const approvers = deps.directory
      .holdersOf(view.currentRoles)
      .concat(view.delegates)
      .filter((person, i, all) => all.indexOf(person) === i && person !== launchedBy);
    const links: NoticeLink[] = [];
    const { tokens, linkUrl } = deps;
    for (const approver of approvers) {
      if (!withLinks || tokens === undefined || linkUrl === undefined) break;
      const approve = await tokens.issue({ ...base, approver, decision: "approve" });
      const reject = await tokens.issue({ ...base, approver, decision: "reject" });
      links.push({ approver, approveUrl: linkUrl(approve.token), rejectUrl: linkUrl(reject.token) });
    }
    const notice: ApprovalNotice = {
      kind,
      status: view.status,
      ...(view.reason === undefined ? {} : { reason: view.reason }),
      actionId: input.actionId,
      agentId: input.agentId,
      requestedBy: launchedBy === undefined ? input.agentId : `${input.agentId} (launched by ${launchedBy})`,
      action: str(request["action"]) || "(unnamed action)",
      risk,
      environment: input.environment,
      changeSummary,
      matchedRules: rules.map((rule) => ({
        ruleId: str(obj(rule)["ruleId"]),
        reason: str(obj(rule)["reason"]),
      })),
      aiRecommendation:
        recommendation !== undefined
          ? { decision: recommendation.decision, rationale: recommendation.comment ?? "" }
          : str(ai["rationale"]) !== ""
            ? { decision: "proposed the action", rationale: str(ai["rationale"]) }
            : undefined,
      votesNeeded: Math.max(view.required - view.approvals, 0),
      missingRoles: view.missingRoles,
      deadline: view.levelDeadline,
      links,
    };
    await deps.notifier.notify(notice);
    return notice;
  };
  return {
    notifyApprovers: (input, view) => build(input, view, "requested", true),
    announce: (request) =>
      build(
        request.input ?? inputOf(request.approval),
        request.approval,
        request.kind,
        ASKING.has(request.kind) && request.approval.status === "pending",
      ),
  };
}
