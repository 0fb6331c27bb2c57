// `warden dev token`: a local development token signed with the dev issuer key that `make up`
// creates (.warden/dev-issuer.pem, scripts/dev-env.ts) and every local service trusts.
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { mintDevToken } from "@warden/identity";
import { CliInputError, EXIT } from "./cli-error.ts";
import type { CommandContext } from "./command-context.ts";
import { printJson } from "./output.ts";
import { collectList } from "./parse-service-options.ts";

/** What scripts/dev-env.ts configures the services with. */
export const DEV_ISSUER = {
  issuer: "warden-dev",
  audience: "warden",
  keyFile: ".warden/dev-issuer.pem",
} as const;

export function registerDevCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const dev = program.command("dev").description("local development helpers");
  dev
    .command("token")
    .description(
      "mint a development token for the local services (make up), signed with .warden/dev-issuer.pem",
    )
    .requiredOption("-u, --user <id>", "the subject: a person's id, or the agent id with --agent")
    .option("-r, --roles <roles>", "comma-separated roles, e.g. engineering-lead,approver", collectList)
    .option("--agent", "an AI agent's token (principal type ai_agent)", false)
    .option("--service", "a service's token (principal type service)", false)
    .option("--name <name>", "display name")
    .option("--expires-in <duration>", "lifetime, e.g. 15m, 8h", "8h")
    .option(
      "--key-file <file>",
      "the dev issuer's private key (default WARDEN_DEV_KEY_FILE or .warden/dev-issuer.pem)",
    )
    .option("--issuer <iss>", "the issuer the services trust (default WARDEN_DEV_ISSUER or warden-dev)")
    .option("--audience <aud>", "the audience (default WARDEN_DEV_AUDIENCE or warden)")
    .addHelpText(
      "after",
      "\nPrints the token (or {token, sub, type, roles, expiresIn} with --json). Development only: the key" +
        "\nis a local file; never use it for a shared installation." +
        "\nExit 0 minted, 2 usage or the key file is missing (run `make up` first)." +
        "\n\nExamples:\n  export WARDEN_TOKEN=$(warden dev token --user alice --roles engineering-lead)" +
        "\n  warden dev token --user deploy-bot --agent --json",
    )
    .action(
      async (
        opts: {
          user: string;
          roles?: string[];
          agent: boolean;
          service: boolean;
          name?: string;
          expiresIn: string;
          keyFile?: string;
          issuer?: string;
          audience?: string;
        },
        command: Command,
      ) => {
        const json = ctx.globals(command).json ?? false;
        if (opts.user.trim() === "") throw new CliInputError(["--user: must not be empty"]);
        if (opts.agent && opts.service) throw new CliInputError(["--agent and --service: choose one"]);
        if (!/^\d+[smhd]$/.test(opts.expiresIn))
          throw new CliInputError([`--expires-in ${opts.expiresIn}: use a number and s, m, h or d, e.g. 8h`]);
        const keyFile = opts.keyFile ?? io.env?.devKeyFile ?? DEV_ISSUER.keyFile;
        if (!existsSync(keyFile))
          throw new CliInputError([
            `--key-file ${keyFile}: no such file; \`make up\` creates it (run it from the repository root), or pass --key-file / WARDEN_DEV_KEY_FILE`,
          ]);
        const type = opts.agent ? "ai_agent" : opts.service ? "service" : "human";
        const roles = opts.roles ?? [];
        const token = await mintDevToken({
          issuer: opts.issuer ?? io.env?.devIssuer ?? DEV_ISSUER.issuer,
          audience: opts.audience ?? io.env?.devAudience ?? DEV_ISSUER.audience,
          keyFile,
          sub: opts.user.trim(),
          type,
          roles,
          ...(opts.name !== undefined && { name: opts.name }),
          expiresIn: opts.expiresIn,
        });
        if (json) printJson(io, { token, sub: opts.user.trim(), type, roles, expiresIn: opts.expiresIn });
        else io.out(`${token}\n`);
        ctx.exit(EXIT.ok);
      },
    );
}
