// `warden approvals list | show | approve | reject | request-changes | escalate | delegate` over
// ApprovalService gRPC (proto/warden/approval/v1/approval.proto). The voter is the token's
// principal; the service refuses self-approval, a role that is not eligible, a second vote, an AI
// voter, a vote after resolution or while frozen (FAILED_PRECONDITION / PERMISSION_DENIED → exit 1).
import type { Command } from "commander";
import { approvalV1 } from "@warden/contracts";
import { EXIT, usageError } from "./cli-error.ts";
import type { CommandContext } from "./command-context.ts";
import { actorLabel, enumLabel, fields, printJson, table, when } from "./output.ts";
import { parseEnvironment, parsePageSize, parseRiskLevel } from "./parse-service-options.ts";
import type { commonV1 } from "@warden/contracts";

const status = (s: approvalV1.ApprovalStatus): string => enumLabel(s, "APPROVAL_STATUS_");
const decision = (d: approvalV1.VoteDecision): string => enumLabel(d, "VOTE_DECISION_");

function summaryRow(a: approvalV1.Approval): string[] {
  return [
    a.actionId,
    status(a.status),
    a.request?.agentId ?? "—",
    a.request?.action ?? "—",
    enumLabel(a.request?.environment, "ENVIRONMENT_"),
    enumLabel(a.riskLevel, "RISK_LEVEL_"),
    `${a.votes.filter((v) => v.counted && v.decision === approvalV1.VoteDecision.VOTE_DECISION_APPROVE).length}/${a.requirement?.minApprovers ?? "?"}`,
    a.currentRoles.join(", ") || "—",
    when(a.levelDeadline),
  ];
}

function details(a: approvalV1.Approval): string {
  const r = a.request;
  const req = a.requirement;
  let text = fields([
    ["action id", a.actionId],
    ["workflow", a.workflowId],
    ["status", `${status(a.status)}${a.consumed ? " (consumed)" : ""}`],
    ["agent", r?.agentId ?? "—"],
    ["action", r?.action ?? "—"],
    ["target", r?.target || "—"],
    ["environment", enumLabel(r?.environment, "ENVIRONMENT_")],
    ["requested by", actorLabel(r?.requestedBy)],
    ["reason", r?.reason || "—"],
    ["risk", enumLabel(a.riskLevel, "RISK_LEVEL_")],
    ["rules", a.matchedRules.map((m) => m.ruleId).join(", ") || "—"],
    [
      "requires",
      req === undefined
        ? "—"
        : `${req.minApprovers} approver(s) from ${req.eligibleRoles.join(", ") || "any role"}` +
          (req.requiredRoles.length > 0 ? `, including ${req.requiredRoles.join(", ")}` : ""),
    ],
    ["escalation level", `${a.escalationLevel} (asking ${a.currentRoles.join(", ") || "—"})`],
    ["level deadline", when(a.levelDeadline)],
    ["created", when(a.createdAt)],
    ["resolved", when(a.resolvedAt)],
    [
      "bound to",
      `request ${a.requestDigest || "—"}, bundle ${a.bundleDigest || "—"}, stop epoch ${a.killswitchEpoch}`,
    ],
  ]);
  const votes = [...a.votes, ...a.recommendations];
  if (votes.length > 0)
    text += table(
      ["voter", "decision", "counted", "comment", "delegate to", "at"],
      votes.map((v) => [
        actorLabel(v.voter),
        decision(v.decision),
        v.counted ? "yes" : "no (recommendation)",
        v.comment || "—",
        v.delegateTo || "—",
        when(v.castAt),
      ]),
    );
  else text += "no votes yet\n";
  return text;
}

interface VoteOptions {
  comment?: string;
  to?: string;
  digest?: string;
}

const VOTES: readonly {
  name: string;
  decision: approvalV1.VoteDecision;
  description: string;
  needsComment: boolean;
  example: string;
}[] = [
  {
    name: "approve",
    decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    description: "approve the action (counts toward quorum; you may not approve your own request)",
    needsComment: false,
    example: 'warden approvals approve act-42 --comment "checked the diff"',
  },
  {
    name: "reject",
    decision: approvalV1.VoteDecision.VOTE_DECISION_REJECT,
    description: "reject the action (final); --comment is required",
    needsComment: true,
    example: 'warden approvals reject act-42 --comment "no deploys during the freeze"',
  },
  {
    name: "request-changes",
    decision: approvalV1.VoteDecision.VOTE_DECISION_REQUEST_CHANGES,
    description: "ask for changes; the agent must submit a new request; --comment is required",
    needsComment: true,
    example: 'warden approvals request-changes act-42 --comment "stage it first"',
  },
  {
    name: "escalate",
    decision: approvalV1.VoteDecision.VOTE_DECISION_ESCALATE,
    description: "move the approval to the next escalation level now",
    needsComment: false,
    example: 'warden approvals escalate act-42 --comment "needs the team lead"',
  },
  {
    name: "delegate",
    decision: approvalV1.VoteDecision.VOTE_DECISION_DELEGATE,
    description: "hand your turn to another person (--to ID), who must hold an eligible role",
    needsComment: false,
    example: "warden approvals delegate act-42 --to bob",
  },
];

export function registerApprovalsCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const approvals = program
    .command("approvals")
    .description(
      "human approval of actions: list pending ones, show one, vote (the vote is yours: your token)",
    );

  approvals
    .command("list")
    .description("approvals waiting for votes, newest first")
    .option("--mine", "only those you may vote on now", false)
    .option("--agent <id>", "only this agent's")
    .option(
      "--environment <env>",
      "only this environment (development, staging, production)",
      parseEnvironment,
    )
    .option("--risk <level>", "only this risk level (low, medium, high, critical)", parseRiskLevel)
    .option("--page-size <n>", "1 to 500 (default 50)", parsePageSize(500))
    .option("--page-token <token>", "the next page, from a previous list")
    .addHelpText(
      "after",
      "\nExit 0 listed (also when none), 3 approval service unreachable.\n\nExample:\n  warden approvals list --mine --environment production",
    )
    .action(
      async (
        opts: {
          mine: boolean;
          agent?: string;
          environment?: commonV1.Environment;
          risk?: commonV1.RiskLevel;
          pageSize?: number;
          pageToken?: string;
        },
        command: Command,
      ) => {
        const remote = ctx.remote(command);
        const client = remote.client(approvalV1.ApprovalServiceDefinition, "approval");
        const res = await remote.call("approval", () =>
          client.listPending(
            {
              mine: opts.mine,
              agentId: opts.agent ?? "",
              ...(opts.environment !== undefined && { environment: opts.environment }),
              ...(opts.risk !== undefined && { riskLevel: opts.risk }),
              pageSize: opts.pageSize ?? 0,
              pageToken: opts.pageToken ?? "",
            },
            remote.unary(),
          ),
        );
        if (remote.json) printJson(io, approvalV1.ListPendingResponse.toJSON(res));
        else if (res.approvals.length === 0) io.out("no pending approvals\n");
        else {
          io.out(
            table(
              ["action id", "status", "agent", "action", "env", "risk", "approvals", "asking", "deadline"],
              res.approvals.map(summaryRow),
            ),
          );
          if (res.nextPageToken !== "") io.err(`more: --page-token ${res.nextPageToken}\n`);
        }
        ctx.exit(EXIT.ok);
      },
    );

  approvals
    .command("show")
    .description("one approval: the request, what the policy requires, the votes so far")
    .argument("<action-id>", "the action's id")
    .addHelpText(
      "after",
      "\nExit 0 shown, 4 no such approval, 3 unreachable.\n\nExample:\n  warden approvals show act-42",
    )
    .action(async (actionId: string, _opts: unknown, command: Command) => {
      const remote = ctx.remote(command);
      const client = remote.client(approvalV1.ApprovalServiceDefinition, "approval");
      const res = await remote.call("approval", () => client.get({ actionId }, remote.unary()));
      if (remote.json) printJson(io, approvalV1.GetResponse.toJSON(res));
      else io.out(res.approval === undefined ? `no approval in the answer\n` : details(res.approval));
      ctx.exit(EXIT.ok);
    });

  for (const vote of VOTES) {
    const cmd = approvals
      .command(vote.name)
      .description(vote.description)
      .argument("<action-id>", "the action's id");
    if (vote.needsComment)
      cmd.requiredOption("-m, --comment <text>", "why (shown to the requester, recorded)");
    else cmd.option("-m, --comment <text>", "a comment (recorded)");
    if (vote.decision === approvalV1.VoteDecision.VOTE_DECISION_DELEGATE)
      cmd.requiredOption("--to <person>", "the id of the person who takes your turn");
    cmd
      .option(
        "--digest <sha256>",
        "refuse unless the approval is still bound to this request digest (from show)",
      )
      .addHelpText(
        "after",
        "\nExit 0 vote recorded, 1 refused (self-approval, role not eligible, second vote, resolved, frozen)," +
          `\n2 usage, 3 unreachable, 4 no such approval.\n\nExample:\n  ${vote.example}`,
      )
      .action(async (actionId: string, opts: VoteOptions, command: Command) => {
        if (actionId.trim() === "") throw usageError("<action-id>: must not be empty");
        if (vote.needsComment && (opts.comment ?? "").trim() === "")
          throw usageError(`--comment: required for ${vote.name}, and must not be empty`);
        if (opts.to !== undefined && opts.to.trim() === "") throw usageError("--to: must not be empty");
        const remote = ctx.remote(command);
        const client = remote.client(approvalV1.ApprovalServiceDefinition, "approval");
        const res = await remote.call("approval", () =>
          client.decide(
            {
              actionId,
              decision: vote.decision,
              comment: opts.comment ?? "",
              delegateTo: opts.to ?? "",
              requestDigest: opts.digest ?? "",
            },
            remote.unary(),
          ),
        );
        if (remote.json) printJson(io, approvalV1.DecideResponse.toJSON(res));
        else
          io.out(
            `${vote.name}: recorded on ${actionId}; the approval is now ${status(res.approval?.status ?? approvalV1.ApprovalStatus.APPROVAL_STATUS_UNSPECIFIED)}\n`,
          );
        ctx.exit(EXIT.ok);
      });
  }
}
