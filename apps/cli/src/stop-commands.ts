// `warden stop activate | deactivate | reenable | status`: the emergency stop over KillSwitchService gRPC
// (proto/warden/killswitch/v1). Who acts is the token's principal; the service enforces the roles
// and the two-person rule for lifting a stop.
import type { Command } from "commander";
import { killswitchV1 } from "@warden/contracts";
import { EXIT, usageError } from "./cli-error.ts";
import type { CommandContext } from "./command-context.ts";
import { actorLabel, fields, printJson, table, when } from "./output.ts";
import { collectList, parseScope, parseWhole, scopeLabel } from "./parse-service-options.ts";

const SCOPE_SYNTAX = "global, environment:NAME, agent:ID or service:NAME; repeat for several";

function stateLines(state: killswitchV1.EmergencyStop | undefined): string {
  if (state === undefined) return "no state\n";
  return fields([
    ["active", state.active ? "yes" : "no"],
    ["epoch", String(state.epoch)],
    ["scopes", state.scopes.map(scopeLabel).join(", ") || "—"],
    ["reason", state.reason || "—"],
    ["activated by", actorLabel(state.activatedBy)],
    ["activated at", when(state.activatedAt)],
    [
      "deactivation approvals",
      state.deactivationApprovals.map((a) => actorLabel(a.approver)).join(", ") || "—",
    ],
  ]);
}

export function registerStopCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const stop = program
    .command("stop")
    .description("the emergency stop (kill switch): activate, lift (two people), show who acknowledged");

  stop
    .command("activate")
    .description(
      "stop the given scopes now; needs an activation role (on-call-engineer, engineering-lead, …)",
    )
    .requiredOption("-s, --scope <scope>", `what to stop: ${SCOPE_SYNTAX}`, parseScope)
    .requiredOption("-r, --reason <text>", "why (recorded and shown to everyone the stop affects)")
    .addHelpText(
      "after",
      "\nExit 0 stopped, 1 refused (role), 2 usage, 3 kill-switch service unreachable." +
        '\n\nExample:\n  warden stop activate --scope environment:production --reason "error rate spike after deploy"',
    )
    .action(async (opts: { scope: killswitchV1.Scope[]; reason: string }, command: Command) => {
      const remote = ctx.remote(command);
      if (opts.reason.trim() === "") throw usageError("--reason: must not be empty");
      const client = remote.client(killswitchV1.KillSwitchServiceDefinition, "killswitch");
      const res = await remote.call("killswitch", () =>
        client.activate({ scopes: opts.scope, reason: opts.reason }, remote.unary()),
      );
      if (remote.json) printJson(io, killswitchV1.ActivateResponse.toJSON(res));
      else io.out(`emergency stop active (epoch ${res.state?.epoch ?? 0})\n${stateLines(res.state)}`);
      ctx.exit(EXIT.ok);
    });

  stop
    .command("deactivate")
    .description(
      "approve lifting the stop; two people (together engineering-lead and security-lead) each run it with their own token",
    )
    .requiredOption("--review-ref <ref>", "post-incident review reference, e.g. INC-2026-017")
    .requiredOption("--root-cause <text>", "what caused the incident")
    .requiredOption("--prevention <text>", "what prevents it from happening again")
    .option(
      "-s, --scope <scope>",
      `only these scopes (${SCOPE_SYNTAX}); default every active scope`,
      parseScope,
    )
    .option(
      "--re-enable-agent <id>",
      "an agent stopped by this stop that may resume (repeatable)",
      collectList,
    )
    .option(
      "--epoch <n>",
      "the epoch you reviewed; refused if the stop changed since (default: the current one)",
      parseWhole,
    )
    .addHelpText(
      "after",
      "\nBoth approvals must name the same review reference, root cause, prevention and scopes. The first" +
        "\nrecords an approval and names the roles still missing; the second lifts the stop." +
        "\nExit 0 approval recorded or stop lifted, 1 refused (same person twice, role, stop changed), 2 usage, 3 unreachable." +
        '\n\nExample:\n  warden stop deactivate --review-ref INC-2026-017 --root-cause "bad config push" \\' +
        '\n    --prevention "config canary" --token "$ENG_LEAD_TOKEN"',
    )
    .action(
      async (
        opts: {
          reviewRef: string;
          rootCause: string;
          prevention: string;
          scope?: killswitchV1.Scope[];
          reEnableAgent?: string[];
          epoch?: number;
        },
        command: Command,
      ) => {
        for (const [flag, value] of [
          ["--review-ref", opts.reviewRef],
          ["--root-cause", opts.rootCause],
          ["--prevention", opts.prevention],
        ] as const) {
          if (value.trim() === "") throw usageError(`${flag}: must not be empty`);
        }
        const remote = ctx.remote(command);
        const client = remote.client(killswitchV1.KillSwitchServiceDefinition, "killswitch");
        const epoch =
          opts.epoch ?? (await remote.call("killswitch", () => client.status({}, remote.unary()))).epoch;
        const res = await remote.call("killswitch", () =>
          client.deactivate(
            {
              epoch,
              reviewRef: opts.reviewRef,
              rootCause: opts.rootCause,
              prevention: opts.prevention,
              reEnableAgents: opts.reEnableAgent ?? [],
              scopes: opts.scope ?? [],
            },
            remote.unary(),
          ),
        );
        if (remote.json) printJson(io, killswitchV1.DeactivateResponse.toJSON(res));
        else if (res.deactivated) io.out(`emergency stop lifted (epoch ${res.state?.epoch ?? epoch})\n`);
        else
          io.out(
            `deactivation approval recorded at epoch ${epoch}; the stop stays active until a second person approves` +
              (res.missingRoles.length > 0 ? ` (still needed: ${res.missingRoles.join(", ")})` : "") +
              "\n",
          );
        ctx.exit(EXIT.ok);
      },
    );

  stop
    .command("reenable")
    .description(
      "ask to re-enable an agent an agent-scoped stop left disabled; two other people approve it (warden approvals)",
    )
    .argument("<agent-id>", "the disabled agent")
    .requiredOption("-r, --reason <text>", "why the agent may act again (shown to the approvers)")
    .addHelpText(
      "after",
      "\nThe kill switch asks for it as its own action (agent.reenable); the approval workflow agent_reenable" +
        "\nneeds an engineering lead and a security lead, neither of them you. The agent acts again once it is" +
        "\napproved. Exit 0 asked, 1 refused (role, not disabled, stop still active), 2 usage, 3 unreachable." +
        '\n\nExample:\n  warden stop reenable refund-bot --reason "loop fixed in 4.2.1"\n  warden approvals show <action-id>',
    )
    .action(async (agentId: string, opts: { reason: string }, command: Command) => {
      if (opts.reason.trim() === "") throw usageError("--reason: must not be empty");
      const remote = ctx.remote(command);
      const client = remote.client(killswitchV1.KillSwitchServiceDefinition, "killswitch");
      const res = await remote.call("killswitch", () =>
        client.requestReEnable({ agentId, reason: opts.reason }, remote.unary()),
      );
      if (remote.json) printJson(io, killswitchV1.RequestReEnableResponse.toJSON(res));
      else
        io.out(
          `re-enable of ${agentId} asked as action ${res.actionId}; it waits for approval:\n` +
            `  warden approvals show ${res.actionId}\n`,
        );
      ctx.exit(EXIT.ok);
    });

  stop
    .command("status")
    .description("the stop state: every scope with its epoch, and which consumers have acknowledged it")
    .addHelpText(
      "after",
      "\nExit 0 state shown (active or not), 3 unreachable.\n\nExample:\n  warden stop status",
    )
    .action(async (_opts: unknown, command: Command) => {
      const remote = ctx.remote(command);
      const client = remote.client(killswitchV1.KillSwitchServiceDefinition, "killswitch");
      const res = await remote.call("killswitch", () => client.status({}, remote.unary()));
      if (remote.json) {
        printJson(io, killswitchV1.StatusResponse.toJSON(res));
      } else {
        io.out(`${res.state?.active === true ? "STOPPED" : "clear"} at epoch ${res.epoch}\n`);
        if (res.scopes.length > 0)
          io.out(
            table(
              ["scope", "active", "epoch", "reason", "activated by", "activated at", "lift approvals"],
              res.scopes.map((s) => [
                scopeLabel(s.scope),
                s.active ? "yes" : "no",
                String(s.epoch),
                s.reason || "—",
                actorLabel(s.activatedBy),
                when(s.activatedAt),
                s.deactivationApprovals.map((a) => actorLabel(a.approver)).join(", ") || "—",
              ]),
            ),
          );
        if (res.consumers.length > 0) {
          io.out(
            table(
              ["consumer", "instance", "acknowledged epoch", "confirmed", "age"],
              res.consumers.map((c) => [
                actorLabel(c.acknowledgement?.consumer),
                c.acknowledgement?.instanceId ?? "—",
                String(c.acknowledgement?.epoch ?? 0),
                c.confirmed ? "yes" : "NO",
                `${(c.ageMs / 1000).toFixed(1)} s`,
              ]),
            ),
          );
          const missing = res.consumers.filter((c) => !c.confirmed).length;
          io.out(
            `${res.consumers.length - missing} of ${res.consumers.length} consumers confirmed epoch ${res.epoch}\n`,
          );
        } else {
          io.out("no consumer has reported in\n");
        }
      }
      ctx.exit(EXIT.ok);
    });
}
