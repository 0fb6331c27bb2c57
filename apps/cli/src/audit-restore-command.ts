import { restoreAuditFromStream } from "@warden/audit";
import { EXIT } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import { natsCredsHint } from "./nats-creds.ts";

export interface AuditRestoreOptions {
  readonly mongoUrl: string;
  readonly db: string;
  readonly natsUrl: string;
  /** A NATS .creds file (--creds or WARDEN_NATS_CREDS, checked readable). */
  readonly natsCreds?: string | undefined;
  readonly namespace: string;
  readonly json: boolean;
}

/**
 * `warden audit restore-from-stream`: re-inserts the records (and checkpoints) the WARDEN_AUDIT
 * stream holds beyond the store's head — the recovery of a store behind the stream. Exit 0 restored
 * (or nothing to restore), 1 the stream's records do not extend the stored chain, 2 could not run.
 */
export async function auditRestore(options: AuditRestoreOptions, io: CliIo): Promise<number> {
  try {
    const result = await restoreAuditFromStream(options);
    if (options.json) io.out(`${JSON.stringify(result)}\n`);
    else
      io.out(
        `restored ${result.records} records (head seq ${result.fromHeadSeq} → ${result.toHeadSeq}) and ${result.checkpoints} checkpoints from the audit stream\n`,
      );
    return EXIT.ok;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const chain = err instanceof Error && err.name === "ChainInvariantError";
    io.err(`warden audit restore-from-stream: ${chain ? "refused" : "could not restore"}: ${message}\n`);
    const hint = natsCredsHint(err, options.natsCreds);
    if (hint !== undefined) io.err(`  ${hint}\n`);
    return chain ? EXIT.failed : EXIT.invalid;
  }
}
