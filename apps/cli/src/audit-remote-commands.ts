// `warden audit query | tail | verify | export` over AuditService gRPC (proto/warden/audit/v1).
// What a caller sees is scoped by their token's roles (engineer: own actions; team lead: team;
// security, compliance, auditor: all), and the service records every read.
import { createWriteStream } from "node:fs";
import type { WriteStream } from "node:fs";
import { once } from "node:events";
import type { Command } from "commander";
import { auditV1 } from "@warden/contracts";
import type { commonV1 } from "@warden/contracts";
import { CliInputError, EXIT } from "./cli-error.ts";
import type { CommandContext } from "./command-context.ts";
import { actorLabel, enumLabel, printJson, startProgress, table, when } from "./output.ts";
import {
  collectList,
  parseDate,
  parseEnvironment,
  parsePageSize,
  parsePositive,
  parseWhole,
} from "./parse-service-options.ts";
import type { Remote } from "./remote.ts";

export interface FilterOptions {
  actor?: string;
  agent?: string;
  action?: string;
  actionId?: string;
  type?: string[];
  since?: Date;
  until?: Date;
  environment?: commonV1.Environment;
}

/** The filter flags shared by query and export. */
export function addFilterOptions(command: Command): Command {
  return command
    .option("--actor <id>", "who acted (a person, agent or service id)")
    .option("--agent <id>", "the agent the event belongs to")
    .option("--action <name>", "the action, e.g. change.deploy")
    .option("--action-id <id>", "one action's whole story")
    .option(
      "--type <type>",
      'event types, exact or with a trailing "*", e.g. warden.decision.* (repeatable)',
      collectList,
    )
    .option("--since <time>", "from this event time (2026-03-10 or 2026-03-10T20:00:00Z)", parseDate)
    .option("--until <time>", "before this event time", parseDate)
    .option("--environment <env>", "development, staging or production", parseEnvironment);
}

export function filterFrom(opts: FilterOptions): auditV1.AuditFilter {
  return auditV1.AuditFilter.fromPartial({
    actorId: opts.actor ?? "",
    agentId: opts.agent ?? "",
    action: opts.action ?? "",
    actionId: opts.actionId ?? "",
    types: opts.type ?? [],
    ...(opts.since !== undefined && { startTime: opts.since }),
    ...(opts.until !== undefined && { endTime: opts.until }),
    ...(opts.environment !== undefined && { environment: opts.environment }),
  });
}

const RECORD_HEAD = ["seq", "time", "type", "actor", "agent", "action", "outcome", "reason"];
function recordRow(r: auditV1.AuditRecord): string[] {
  return [
    String(r.seq),
    when(r.time),
    r.type,
    actorLabel(r.actor),
    r.agentId || "—",
    r.action || "—",
    r.outcome || "—",
    r.reason.length > 80 ? `${r.reason.slice(0, 79)}…` : r.reason || "—",
  ];
}
const recordLine = (r: auditV1.AuditRecord): string => `${recordRow(r).join("  ")}\n`;

const recordJson = (r: auditV1.AuditRecord | undefined): unknown =>
  r === undefined ? null : auditV1.AuditRecord.toJSON(r);

export function registerAuditRemoteCommands(audit: Command, ctx: CommandContext): void {
  const { io } = ctx;

  addFilterOptions(
    audit
      .command("query")
      .description("records matching a filter, in seq order (one page; --all follows every page)"),
  )
    .option("--page-size <n>", "1 to 1000 (default 100)", parsePageSize(1000))
    .option("--page-token <token>", "the next page, from a previous query")
    .option("--all", "follow next-page tokens to the end", false)
    .addHelpText(
      "after",
      "\nExit 0 listed (also when none), 1 refused, 3 audit service unreachable." +
        "\n\nExamples:\n  warden audit query --action-id act-42\n  warden audit query --type 'warden.killswitch.*' --since 2026-03-10 --json",
    )
    .action(
      async (
        opts: FilterOptions & { pageSize?: number; pageToken?: string; all: boolean },
        command: Command,
      ) => {
        const remote = ctx.remote(command);
        const client = remote.client(auditV1.AuditServiceDefinition, "audit");
        const records: auditV1.AuditRecord[] = [];
        let pageToken = opts.pageToken ?? "";
        for (;;) {
          const res = await remote.call("audit", () =>
            client.query(
              { filter: filterFrom(opts), pageSize: opts.pageSize ?? 0, pageToken },
              remote.unary(),
            ),
          );
          records.push(...res.records);
          pageToken = res.nextPageToken;
          if (!opts.all || pageToken === "") break;
        }
        if (remote.json) printJson(io, { records: records.map(recordJson), nextPageToken: pageToken });
        else {
          io.out(records.length === 0 ? "no records\n" : table(RECORD_HEAD, records.map(recordRow)));
          if (pageToken !== "") io.err(`more: --page-token ${pageToken} (or --all)\n`);
        }
        ctx.exit(EXIT.ok);
      },
    );

  audit
    .command("tail")
    .description(
      "committed records as they are written (Ctrl-C ends); --json prints one JSON record per line",
    )
    .option("--after-seq <n>", "start after this seq (0: from now)", parseWhole, 0)
    .option("--type <type>", "only these event types (repeatable, trailing * allowed)", collectList)
    .option("--limit <n>", "stop after n records", parsePositive)
    .addHelpText(
      "after",
      "\nExit 0 ended (Ctrl-C or --limit reached), 1 refused, 3 unreachable or the stream broke." +
        "\n\nExample:\n  warden audit tail --type 'warden.decision.*'\n  warden audit tail --after-seq 0 --limit 10 --json",
    )
    .action(async (opts: { afterSeq: number; type?: string[]; limit?: number }, command: Command) => {
      const remote = ctx.remote(command);
      const client = remote.client(auditV1.AuditServiceDefinition, "audit");
      const stop = new AbortController();
      const signal = AbortSignal.any([remote.stream().signal, stop.signal]);
      let seen = 0;
      try {
        await remote.call("audit", async () => {
          for await (const { record } of client.tail(
            { afterSeq: opts.afterSeq, types: opts.type ?? [] },
            { signal },
          )) {
            if (record === undefined) continue;
            io.out(remote.json ? `${JSON.stringify(recordJson(record))}\n` : recordLine(record));
            seen += 1;
            if (opts.limit !== undefined && seen >= opts.limit) {
              stop.abort();
              break;
            }
          }
        });
      } catch (err) {
        // Ctrl-C or --limit: the end the user asked for.
        if (!signal.aborted) throw err;
      }
      ctx.exit(EXIT.ok);
    });

  addFilterOptions(
    audit
      .command("export")
      .description("every record matching a filter, in seq order, as NDJSON (one AuditRecord JSON per line)"),
  )
    .option("-o, --output <file>", "write to this file (default stdout)")
    .addHelpText(
      "after",
      "\nA progress bar counts records on a terminal's stderr. With --output, stdout gets a summary" +
        "\n(text, or one JSON object with --json); without it, stdout is the NDJSON itself." +
        "\nExit 0 exported, 1 refused, 2 the file cannot be written, 3 unreachable or the stream broke." +
        "\n\nExample:\n  warden audit export --since 2026-01-01 --environment production -o audit-2026.ndjson",
    )
    .action(async (opts: FilterOptions & { output?: string }, command: Command) => {
      const remote = ctx.remote(command);
      const client = remote.client(auditV1.AuditServiceDefinition, "audit");
      const file = opts.output === undefined ? undefined : await openOutput(opts.output);
      const progress = startProgress(io, "exporting | {value} records | {duration}s");
      let count = 0;
      let lastSeq = 0;
      try {
        await remote.call("audit", async () => {
          for await (const { record } of client.export({ filter: filterFrom(opts) }, remote.stream())) {
            if (record === undefined) continue;
            const line = `${JSON.stringify(recordJson(record))}\n`;
            if (file === undefined) io.out(line);
            else if (!file.write(line)) await once(file, "drain");
            count += 1;
            lastSeq = record.seq;
            progress.update(count);
          }
        });
      } finally {
        progress.stop();
        if (file !== undefined) await new Promise<void>((resolve) => file.end(resolve));
      }
      if (opts.output !== undefined) {
        if (remote.json) printJson(io, { file: opts.output, records: count, lastSeq });
        else
          io.out(`exported ${count} records to ${opts.output}${count > 0 ? ` (last seq ${lastSeq})` : ""}\n`);
      } else {
        io.err(`exported ${count} records\n`);
      }
      ctx.exit(EXIT.ok);
    });
}

async function openOutput(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  try {
    await once(stream, "open");
  } catch (err) {
    throw new CliInputError([
      `--output ${path}: cannot write: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
  return stream;
}

/** `audit verify` over gRPC: the service recomputes the chain; a bar shows the elapsed time on a terminal. */
export async function auditVerifyRemote(
  opts: { from?: number; to?: number },
  remote: Remote,
  ctx: CommandContext,
): Promise<number> {
  const { io } = ctx;
  const client = remote.client(auditV1.AuditServiceDefinition, "audit");
  const progress = startProgress(io, "verifying the audit chain on the service | {duration}s");
  const tick = setInterval(() => progress.update(0), 500);
  const started = performance.now();
  let res: auditV1.VerifyResponse;
  try {
    // Verifying a long chain takes a while: no --timeout (Ctrl-C ends it).
    res = await remote.call("audit", () =>
      client.verify({ fromSeq: opts.from ?? 0, toSeq: opts.to ?? 0 }, remote.stream()),
    );
  } finally {
    clearInterval(tick);
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  if (remote.json)
    printJson(io, { ...(auditV1.VerifyResponse.toJSON(res) as Record<string, unknown>), seconds });
  else {
    const range = `seq ${opts.from ?? 1}..${opts.to ?? "head"}`;
    const source = enumLabel(res.checkpointSource, "CHECKPOINT_SOURCE_");
    if (res.ok) {
      const cut = res.rangeCutAtHead
        ? ` (range cut at the head: the chain ends at seq ${res.lastGoodSeq})`
        : "";
      io.out(
        `OK: ${res.recordsChecked} records (${range}) and ${res.checkpointsChecked} signed checkpoints verify; last seq ${res.lastGoodSeq}${cut}\n`,
      );
    } else {
      io.out(
        `BAD: seq ${res.firstBadSeq} ${enumLabel(res.problem, "PROBLEM_")}: ${res.detail}\n     ${res.recordsChecked} records verified before it; last good seq ${res.lastGoodSeq}\n`,
      );
    }
    io.out(
      `     checkpoints from the ${source === "stream" ? "audit stream" : source}; verified by the audit service at ${remote.address("audit")}; ${seconds.toFixed(2)} s\n`,
    );
  }
  return res.ok ? EXIT.ok : EXIT.failed;
}
