import { Command, CommanderError, Option } from "commander";
import { STOP_CLEAR } from "@warden/policy";
import type { StopState } from "@warden/policy";
import pkg from "../package.json" with { type: "json" };
import type { AuditRestoreOptions } from "./audit-restore-command.ts";
import { auditRestore } from "./audit-restore-command.ts";
import type { AuditVerifyOptions } from "./audit-verify-command.ts";
import { auditVerify } from "./audit-verify-command.ts";
import { CliInputError, EXIT } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import { parseIsoTime, parsePublicKeyOption, parseSeq, parseStopState } from "./parse-options.ts";
import { policyCheck } from "./policy-check-command.ts";
import { policyExplain } from "./policy-explain-command.ts";
import type { TestFormat } from "./policy-test-command.ts";
import { TEST_FORMATS, policyTest } from "./policy-test-command.ts";

const EXIT_CODES_HELP = `
Exit codes:
  0  success (policy check: bundle valid; policy test: all tests passed; policy explain:
     explanation printed; audit verify: the chain is intact)
  1  policy check: the bundle is invalid; policy test: at least one test failed;
     audit verify: a problem found (the first bad seq is named)
  2  the command could not run: usage error, missing or unreadable input, malformed request,
     invalid bundle or test file (test, explain), server unreachable (audit verify)`;

/** Runs `warden` with the user's arguments (argv without node and script); resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command("warden")
    .description("Warden: governance control plane for AI agents")
    .version(pkg.version)
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP);

  const policy = program
    .command("policy")
    .description("policy bundles (governance-as-code): validate, test, explain decisions")
    .addHelpText("after", EXIT_CODES_HELP);

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
    .action(async (dir: string) => {
      exitCode = await policyCheck(dir, io);
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
    .action(async (dir: string, opts: { verbose: boolean; format: TestFormat }) => {
      exitCode = await policyTest(dir, opts, io);
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
    .option("--json", "print the explanation as JSON", false)
    .addHelpText(
      "after",
      "\nExit 0 whenever the explanation is printed, whatever the outcome; 2 for bad input." +
        "\n\nExamples:\n  warden policy explain --bundle governance --request req.yaml --time 2026-03-10T10:00:00Z" +
        "\n  echo '{agentId: financial-advisor, action: transaction.execute, amount: 5000, currency: USD}' \\" +
        "\n    | warden policy explain --bundle governance --request - --json",
    )
    .action(
      async (opts: {
        bundle: string;
        request: string;
        agent?: string;
        stopState: StopState;
        time?: number;
        json: boolean;
      }) => {
        exitCode = await policyExplain(opts, io);
      },
    );

  const audit = program
    .command("audit")
    .description("the audit trail: verify the hash chain and its signed checkpoints")
    .addHelpText("after", EXIT_CODES_HELP);

  audit
    .command("verify")
    .description("recompute the audit hash chain and check the signed checkpoints; name the first bad record")
    .requiredOption("--mongo-url <url>", "Mongo-wire server, e.g. mongodb://127.0.0.1:27017/")
    .requiredOption("--db <name>", "audit database, e.g. warden_audit")
    .requiredOption(
      "--public-key <key>",
      "checkpoint verification key: a file or the key (SPKI PEM, or base64 of the 32 raw bytes); repeat for rotated keys",
      parsePublicKeyOption,
    )
    .option("--from <seq>", "first seq (default 1)", parseSeq)
    .option(
      "--to <seq>",
      "last seq (default the head; checkpoints beyond it then expose truncation)",
      parseSeq,
    )
    .option("--nats-url <url>", "read checkpoints from the WARDEN_AUDIT stream instead of the database")
    .addOption(new Option("--namespace <ns>", "WARDEN_NAMESPACE of the installation").default(""))
    .option("--json", "print the result as one JSON object", false)
    .addHelpText(
      "after",
      "\nNeeds read access only. With --nats-url the checkpoints come from the audit stream, outside the" +
        "\ndatabase, so a rewrite of both audit_events and audit_checkpoints is caught too." +
        "\nExit 0 intact, 1 a problem found (the first bad seq is named), 2 could not verify." +
        "\n\nExample:\n  warden audit verify --mongo-url mongodb://127.0.0.1:27017/ --db warden_audit \\" +
        "\n    --public-key audit-signing.pub.pem --nats-url nats://127.0.0.1:4222",
    )
    .action(async (opts: AuditVerifyOptions) => {
      exitCode = await auditVerify(opts, io);
    });

  audit
    .command("restore-from-stream")
    .description(
      "re-insert the records and checkpoints the WARDEN_AUDIT stream holds beyond the store's head (a store behind the stream)",
    )
    .requiredOption("--mongo-url <url>", "Mongo-wire server, e.g. mongodb://127.0.0.1:27017/")
    .requiredOption("--db <name>", "audit database, e.g. warden_audit")
    .requiredOption("--nats-url <url>", "NATS server holding the WARDEN_AUDIT stream")
    .addOption(new Option("--namespace <ns>", "WARDEN_NAMESPACE of the installation").default(""))
    .option("--json", "print the result as one JSON object", false)
    .addHelpText(
      "after",
      "\nNeeds insert access to audit_events and audit_checkpoints. Stop the audit service first, run" +
        "\n`warden audit verify --nats-url …` after, then start the service again." +
        "\nExit 0 restored, 1 the stream's records do not extend the stored chain, 2 could not run.",
    )
    .action(async (opts: AuditRestoreOptions) => {
      exitCode = await auditRestore(opts, io);
    });

  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (err) {
    // Commander has printed its message (or the help / version) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    if (err instanceof CliInputError) {
      for (const line of err.lines) io.err(`${line}\n`);
      return EXIT.invalid;
    }
    throw err;
  }
}
