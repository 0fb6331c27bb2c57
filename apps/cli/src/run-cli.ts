import { natsCredsOption } from "./nats-creds.ts";
import { Command, CommanderError, Option } from "commander";
import type { StopState } from "@warden/policy";
import pkg from "../package.json" with { type: "json" };
import type { AuditRestoreOptions } from "./audit-restore-command.ts";
import { registerApprovalsCommands } from "./approvals-commands.ts";
import { auditVerifyRemote, registerAuditRemoteCommands } from "./audit-remote-commands.ts";
import { CliInputError, EXIT, usageError } from "./cli-error.ts";
import { registerComplianceCommands } from "./compliance-commands.ts";
import type { CliIo } from "./cli-io.ts";
import type { CommandContext } from "./command-context.ts";
import { SERVICES, SERVICE_LABEL, addressEnvVar } from "./config.ts";
import { registerDevCommands } from "./dev-token-command.ts";
import { STOP_CLEAR, parseIsoTime, parseSeq, parseStopState, readPublicKeyOption } from "./parse-options.ts";
import { parsePositive } from "./parse-service-options.ts";
import { DEFAULT_TIMEOUT_MS, createRemote } from "./remote.ts";
import type { GlobalOptions, Remote } from "./remote.ts";
import { ServiceCallError } from "./rpc-failure.ts";
import { registerStatusCommand } from "./status-command.ts";
import { registerStopCommands } from "./stop-commands.ts";
import type { TestFormat } from "./policy-test-command.ts";

const TEST_FORMATS: readonly TestFormat[] = ["text", "json", "junit"];

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  refused or a failed check: policy tests failed / bundle invalid (check), the audit chain is bad
     (audit verify), a service refused the call (role, self-approval, second vote, stop changed…)
  2  usage error: unknown option, missing or bad value, missing or unreadable input, malformed
     request, invalid bundle or test file (test, explain); also an internal error
  3  unreachable or unavailable: a service did not answer (not running, wrong address, timeout)
  4  not found: the approval / action named does not exist

Configuration: flags win over the environment. Token: --token, WARDEN_TOKEN, or --token-file /
WARDEN_TOKEN_FILE. Addresses: --<service>-addr or WARDEN_<SERVICE>_ADDR (${SERVICES.map(addressEnvVar).join(", ")}).
gRPC is plaintext (services run with GRPC_INSECURE=true, as \`make up\`) unless --tls or a --tls-* flag
(WARDEN_TLS, WARDEN_TLS_CA_FILE, WARDEN_TLS_CERT_FILE, WARDEN_TLS_KEY_FILE, WARDEN_TLS_SERVER_NAME).
--json prints one JSON document on stdout (audit tail / export: one record per line); errors go to stderr.`;

/** Runs `warden` with the user's arguments (argv without node and script); resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const remotes: Remote[] = [];
  let running = "warden";
  const program = new Command("warden")
    .description("Warden: governance control plane for AI agents")
    .version(pkg.version)
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .option("--json", "machine output: one JSON document on stdout", false)
    .option("--token <token>", "bearer token for the services (default WARDEN_TOKEN)")
    .option("--token-file <file>", "a file holding the token (default WARDEN_TOKEN_FILE)")
    .option("--timeout <ms>", `how long a call may take (default ${DEFAULT_TIMEOUT_MS})`, parsePositive)
    .option("--tls", "gRPC over TLS, trusting the system's CAs unless --tls-ca (default WARDEN_TLS=true)")
    .option(
      "--tls-ca <file>",
      "PEM CA certificate(s) the services' certificates chain to (implies --tls; default WARDEN_TLS_CA_FILE)",
    )
    .option(
      "--tls-cert <file>",
      "PEM client certificate, for services that require mutual TLS (with --tls-key; default WARDEN_TLS_CERT_FILE)",
    )
    .option("--tls-key <file>", "PEM private key of --tls-cert (default WARDEN_TLS_KEY_FILE)")
    .option(
      "--tls-server-name <name>",
      "the name the services' certificates must carry, when not the address's host (default WARDEN_TLS_SERVER_NAME)",
    )
    .addHelpText("after", EXIT_CODES_HELP)
    .hook("preAction", (_program, action) => {
      const names: string[] = [];
      for (let c: Command | null = action; c !== null; c = c.parent) names.unshift(c.name());
      running = names.join(" ");
    });
  for (const service of SERVICES) {
    program.option(
      `--${service}-addr <host:port>`,
      `the ${SERVICE_LABEL[service]} service (default ${addressEnvVar(service)} or the \`make up\` port)`,
    );
  }

  const ctx: CommandContext = {
    io,
    globals: (command) => command.optsWithGlobals<GlobalOptions>(),
    remote(command) {
      const remote = createRemote(command.optsWithGlobals<GlobalOptions>(), io);
      remotes.push(remote);
      return remote;
    },
    exit(code) {
      exitCode = code;
    },
  };
  const jsonOf = (command: Command): boolean => ctx.globals(command).json ?? false;

  const policy = program
    .command("policy")
    .description(
      "policy bundles (governance-as-code): validate, test, explain decisions (offline, no service)",
    );

  policy
    .command("check")
    .description(
      "load and validate a policy bundle; print its digest or every problem as file:line:col field: reason",
    )
    .argument("<dir>", "bundle directory (bundle.yaml, risk-levels.yaml, agents.yaml, …)")
    .addHelpText(
      "after",
      "\nExit 0 valid, 1 invalid, 2 the directory is missing or unreadable.\n\nExample:\n  warden policy check governance",
    )
    .action(async (dir: string, _opts: unknown, command: Command) => {
      const { policyCheck } = await import("./policy-check-command.ts");
      exitCode = await policyCheck(dir, io, jsonOf(command));
    });

  policy
    .command("test")
    .description("run the bundle's policy tests (DIR/tests/*.yaml), like opa test")
    .argument("<dir>", "bundle directory")
    .option(
      "-v, --verbose",
      "also print every test's decision (outcome, matched rules, reasons, approval)",
      false,
    )
    .addOption(
      new Option("--format <format>", "text for people; json or junit (XML) for machines")
        .choices(TEST_FORMATS)
        .default("text"),
    )
    .addHelpText(
      "after",
      "\nPrints PASS/FAIL per test with what differed, then `N passed, M failed` (on stderr for json / junit)." +
        "\nExit 0 all passed, 1 some failed, 2 invalid bundle or test file, no tests, or bad input." +
        "\n\nExamples:\n  warden policy test governance\n  warden policy test governance --format junit > policy-tests.xml",
    )
    .action(async (dir: string, opts: { verbose: boolean; format: TestFormat }, command: Command) => {
      const format =
        jsonOf(command) && command.getOptionValueSource("format") === "default" ? "json" : opts.format;
      const { policyTest } = await import("./policy-test-command.ts");
      exitCode = await policyTest(dir, { ...opts, format }, io);
    });

  policy
    .command("explain")
    .description(
      "evaluate one action request and show why: outcome, matched rules, approval, every rule considered",
    )
    .requiredOption("-b, --bundle <dir>", "bundle directory")
    .requiredOption(
      "-r, --request <file>",
      "request as YAML or JSON (a policy test's request shape); - reads stdin",
    )
    .option(
      "-a, --agent <id>",
      "authenticated agent (the transport's identity); default: the request's agentId",
    )
    .addOption(
      new Option(
        "--stop-state <state>",
        "emergency stop: clear, unknown, or scopes global, environment:NAME, agent:ID, service:NAME (comma-separated)",
      )
        .argParser(parseStopState)
        .default(STOP_CLEAR, "clear"),
    )
    .option("--time <iso>", "evaluation time, e.g. 2026-03-10T20:00:00Z (default: now)", parseIsoTime)
    .addHelpText(
      "after",
      "\nExit 0 whenever the explanation is printed, whatever the outcome; 2 for bad input." +
        "\n\nExamples:\n  warden policy explain --bundle governance --request req.yaml --time 2026-03-10T10:00:00Z" +
        "\n  echo '{agentId: financial-advisor, action: transaction.execute, amount: 5000, currency: USD}' \\" +
        "\n    | warden policy explain --bundle governance --request - --json",
    )
    .action(
      async (
        opts: {
          bundle: string;
          request: string;
          agent?: string;
          stopState: StopState;
          time?: number;
        },
        command: Command,
      ) => {
        const { policyExplain } = await import("./policy-explain-command.ts");
        exitCode = await policyExplain({ ...opts, json: jsonOf(command) }, io);
      },
    );

  const audit = program
    .command("audit")
    .description(
      "the audit trail: query, follow, export, and verify the hash chain and its signed checkpoints",
    );

  registerAuditRemoteCommands(audit, ctx);

  audit
    .command("verify")
    .description("recompute the audit hash chain and check the signed checkpoints; name the first bad record")
    .option("--from <seq>", "first seq (default 1)", parseSeq)
    .option(
      "--to <seq>",
      "last seq (default the head; checkpoints beyond it then expose truncation)",
      parseSeq,
    )
    .option(
      "--mongo-url <url>",
      "offline mode: read the database directly instead of asking the audit service",
    )
    .option("--db <name>", "offline mode: the audit database, e.g. warden_audit")
    .option(
      "--public-key <key>",
      "offline mode: checkpoint verification key, a file or the key (SPKI PEM, or base64 of the 32 raw bytes); repeat for rotated keys",
      readPublicKeyOption,
    )
    .option(
      "--nats-url <url>",
      "offline mode: read checkpoints from the WARDEN_AUDIT stream instead of the database",
    )
    .option("--creds <file>", "with --nats-url: the NATS .creds file (default WARDEN_NATS_CREDS)")
    .addOption(
      new Option("--namespace <ns>", "offline mode: WARDEN_NAMESPACE of the installation").default(""),
    )
    .addHelpText(
      "after",
      "\nBy default the audit service verifies (AuditService.Verify, over gRPC; needs a token with an audit" +
        "\nread role). With --mongo-url the CLI verifies the database itself (offline mode: read access only," +
        "\nno service needed; --db and --public-key are then required)." +
        "\nExit 0 intact, 1 a problem found (the first bad seq is named), 2 usage, 3 could not reach the service / database." +
        "\n\nExamples:\n  warden audit verify\n  warden audit verify --from 1000 --to 2000 --json" +
        "\n  warden audit verify --mongo-url mongodb://127.0.0.1:27017/ --db warden_audit \\" +
        "\n    --public-key audit-signing.pub.pem --nats-url nats://127.0.0.1:4222",
    )
    .action(
      async (
        opts: {
          from?: number;
          to?: number;
          mongoUrl?: string;
          db?: string;
          publicKey?: string[];
          natsUrl?: string;
          creds?: string;
          namespace: string;
        },
        command: Command,
      ) => {
        if (opts.mongoUrl === undefined) {
          for (const flag of ["db", "publicKey", "natsUrl", "creds"] as const)
            if (opts[flag] !== undefined)
              throw usageError(
                `--${flag === "publicKey" ? "public-key" : flag === "natsUrl" ? "nats-url" : flag}: only with --mongo-url (offline mode); the audit service uses its own`,
              );
          exitCode = await auditVerifyRemote(opts, ctx.remote(command), ctx);
          return;
        }
        if (opts.db === undefined)
          throw usageError("--db: required with --mongo-url (the audit database, e.g. warden_audit)");
        if (opts.publicKey === undefined)
          throw usageError("--public-key: required with --mongo-url (the checkpoint verification key)");
        if (opts.creds !== undefined && opts.natsUrl === undefined)
          throw usageError("--creds: only with --nats-url (the NATS credentials for reading the stream)");
        const { auditVerify } = await import("./audit-verify-command.ts");
        const natsCreds =
          opts.natsUrl === undefined ? undefined : natsCredsOption(opts.creds, io.env?.natsCreds);
        exitCode = await auditVerify(
          {
            ...opts,
            natsCreds,
            mongoUrl: opts.mongoUrl,
            db: opts.db,
            publicKey: opts.publicKey,
            json: jsonOf(command),
          },
          io,
        );
      },
    );

  audit
    .command("restore-from-stream")
    .description(
      "re-insert the records and checkpoints the WARDEN_AUDIT stream holds beyond the store's head (a store behind the stream)",
    )
    .requiredOption("--mongo-url <url>", "Mongo-wire server, e.g. mongodb://127.0.0.1:27017/")
    .requiredOption("--db <name>", "audit database, e.g. warden_audit")
    .requiredOption("--nats-url <url>", "NATS server holding the WARDEN_AUDIT stream")
    .option("--creds <file>", "the NATS .creds file (default WARDEN_NATS_CREDS)")
    .addOption(new Option("--namespace <ns>", "WARDEN_NAMESPACE of the installation").default(""))
    .addHelpText(
      "after",
      "\nNeeds insert access to audit_events and audit_checkpoints. Stop the audit service first, run" +
        "\n`warden audit verify --nats-url …` after, then start the service again." +
        "\nExit 0 restored, 1 the stream's records do not extend the stored chain, 2 could not run.",
    )
    .action(
      async (
        opts: Omit<AuditRestoreOptions, "json" | "natsCreds"> & { creds?: string },
        command: Command,
      ) => {
        const { creds, ...rest } = opts;
        const natsCreds = natsCredsOption(creds, io.env?.natsCreds);
        const { auditRestore } = await import("./audit-restore-command.ts");
        exitCode = await auditRestore({ ...rest, natsCreds, json: jsonOf(command) }, io);
      },
    );

  registerStopCommands(program, ctx);
  registerApprovalsCommands(program, ctx);
  registerStatusCommand(program, ctx);
  registerDevCommands(program, ctx);
  registerComplianceCommands(program, ctx);

  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (err) {
    // Commander has printed its message (or the help / version) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    const json = program.opts<GlobalOptions>().json ?? args.includes("--json");
    if (err instanceof CliInputError) {
      for (const line of err.lines) io.err(`${line}\n`);
      if (json)
        io.out(
          `${JSON.stringify({ error: { status: "USAGE", exitCode: EXIT.invalid, message: err.lines.join("\n") } })}\n`,
        );
      return EXIT.invalid;
    }
    if (err instanceof ServiceCallError) {
      io.err(`${running}: ${err.message}\n`);
      if (err.hint !== "") io.err(`  ${err.hint}\n`);
      if (json) io.out(`${JSON.stringify(err.toJSON())}\n`);
      return err.exitCode;
    }
    throw err;
  } finally {
    for (const remote of remotes) remote.close();
  }
}
