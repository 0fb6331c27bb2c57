// A VoteSubmitter and ApprovalReader over approvals held in memory, with the workflow's main vote
// refusals (unknown action, resolved, self-approval, no eligible role, second vote, AI approving).
// Held to the VoteSubmitter contract (src/testing/vote-submitter.contract.ts) that the Temporal
// implementation passes too.
import type { ApprovalActor, ApprovalView, VoteInput } from "../../workflows/contract.ts";
import { VoteRefusedError } from "../../app/ports.ts";
import type { ApprovalReader, VoteSubmitter } from "../../app/ports.ts";

export interface FakeApproval {
  actionId: string;
  agentId: string;
  required: number;
  eligibleRoles: string[];
  /** The human who launched the agent: can never approve. */
  requestedBy?: string | undefined;
}

export interface FakeVoteSubmitter {
  submit: VoteSubmitter;
  read: ApprovalReader;
  /** Every accepted vote, in order. */
  readonly accepted: { actionId: string; vote: VoteInput }[];
  add(approval: FakeApproval): void;
}

export function createFakeVoteSubmitter(now: () => Date = () => new Date()): FakeVoteSubmitter {
  const approvals = new Map<string, { spec: FakeApproval; view: ApprovalView }>();
  const accepted: { actionId: string; vote: VoteInput }[] = [];
  const refuse = (reason: string, message: string, forbidden = false) => {
    throw new VoteRefusedError(reason, message, forbidden);
  };
  const eligible = (spec: FakeApproval, voter: ApprovalActor) =>
    voter.roles.some((r) => spec.eligibleRoles.includes(r));
  return {
    accepted,
    add(spec) {
      approvals.set(spec.actionId, {
        spec,
        view: {
          actionId: spec.actionId,
          agentId: spec.agentId,
          status: "pending",
          requestDigest: "sha256:fake",
          bundleDigest: "sha256:bundle",
          killswitchEpoch: 0,
          votes: [],
          recommendations: [],
          escalationLevel: 0,
          currentRoles: [...spec.eligibleRoles],
          delegates: [],
          createdAt: now().toISOString(),
          consumed: false,
          breakGlass: false,
          approvals: 0,
          required: spec.required,
          missingRoles: [],
        },
      });
    },
    read: (actionId) => Promise.resolve(approvals.get(actionId)?.view),
    submit(actionId, vote) {
      try {
        const entry = approvals.get(actionId);
        if (entry === undefined) return refuse("not_found", `no approval for action ${actionId}`);
        const { spec, view } = entry;
        if (view.status !== "pending") refuse("resolved", `the approval is already ${view.status}`);
        if (vote.voter.type === "ai_agent" && vote.decision === "approve")
          refuse("ai_cannot_approve", "an AI agent may recommend, never approve", true);
        if (vote.voter.id === spec.requestedBy || vote.voter.id === spec.agentId)
          refuse("self_approval", `${vote.voter.id} asked for this action and cannot approve it`, true);
        if (!eligible(spec, vote.voter))
          refuse("not_eligible", `${vote.voter.id} holds none of ${spec.eligibleRoles.join(", ")}`, true);
        if (view.votes.some((v) => v.voter.id === vote.voter.id))
          refuse("already_voted", `${vote.voter.id} has already voted`);
        view.votes.push({
          voter: { type: vote.voter.type, id: vote.voter.id },
          decision: vote.decision,
          ...(vote.comment !== undefined && { comment: vote.comment }),
          castAt: now().toISOString(),
          counted: true,
        });
        if (vote.decision === "approve") {
          view.approvals += 1;
          if (view.approvals >= view.required) view.status = "approved";
        } else if (vote.decision === "reject") {
          view.status = "rejected";
          view.reason = `rejected by ${vote.voter.id}: ${vote.comment ?? ""}`;
        }
        if (view.status !== "pending") view.resolvedAt = now().toISOString();
        accepted.push({ actionId, vote });
        return Promise.resolve(structuredClone(view));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}
