import type { Checkpoint, VerifyStoredChainResult } from "@warden/audit";
import { parsePublicKey, readStreamCheckpoints, verifyAuditDatabase } from "@warden/audit";
import { CliInputError, EXIT } from "./cli-error.ts";
import type { CliIo } from "./cli-io.ts";
import { natsCredsHint } from "./nats-creds.ts";
import { startProgress } from "./output.ts";

export interface AuditVerifyOptions {
  readonly mongoUrl: string;
  readonly db: string;
  /** The `--public-key` texts (PEM or base64), parsed here. */
  readonly publicKey: readonly string[];
  readonly from?: number;
  readonly to?: number;
  /** Read the checkpoints from the WARDEN_AUDIT stream instead of the database. */
  readonly natsUrl?: string;
  /** A NATS .creds file for --nats-url (--creds or WARDEN_NATS_CREDS, checked readable). */
  readonly natsCreds?: string | undefined;
  readonly namespace: string;
  readonly json: boolean;
}

function describeResult(result: VerifyStoredChainResult, range: string): string {
  if (result.ok) {
    const cut = result.rangeCutAtHead
      ? ` (range cut at the head: the chain ends at seq ${result.lastSeq})`
      : "";
    return `OK: ${result.count} records (${range}) and ${result.checkpointsChecked} signed checkpoints verify; last seq ${result.lastSeq}${cut}`;
  }
  const suspect =
    result.suspectFromSeq === undefined ? "" : ` (records from seq ${result.suspectFromSeq} are suspect)`;
  return `BAD: seq ${result.firstBadSeq} ${result.problem}${suspect}: ${result.detail}\n     ${result.count} records verified before it; last good seq ${result.lastGoodSeq}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * `warden audit verify`: recomputes the stored hash chain and checks the signed checkpoints, naming
 * the first bad seq (offline mode: the CLI reads the database itself). Exit 0 intact, 1 a problem
 * found, 3 could not reach or read the database or the stream.
 */
export async function auditVerify(options: AuditVerifyOptions, io: CliIo): Promise<number> {
  const fail = (what: string, err: unknown, hint: string): number => {
    io.err(`warden audit verify: could not verify: ${what}: ${message(err)}\n  ${hint}\n`);
    return EXIT.unavailable;
  };

  const publicKeys = options.publicKey.map((text, i) => {
    try {
      return parsePublicKey(text, "--public-key");
    } catch (err) {
      throw new CliInputError([
        `--public-key #${i + 1}: ${err instanceof Error ? err.message : "not an Ed25519 public key"}`,
      ]);
    }
  });
  let checkpoints: Checkpoint[] | undefined;
  if (options.natsUrl !== undefined) {
    try {
      checkpoints = await readStreamCheckpoints({
        natsUrl: options.natsUrl,
        namespace: options.namespace,
        natsCreds: options.natsCreds,
      });
    } catch (err) {
      return fail(
        `reading checkpoints from the audit stream at ${options.natsUrl}`,
        err,
        natsCredsHint(err, options.natsCreds) ??
          "check --nats-url (a JetStream-enabled server) and --namespace (the installation's WARDEN_NAMESPACE)",
      );
    }
  }

  const started = performance.now();
  const progress = startProgress(io, "verifying the audit chain | {duration}s");
  const tick = setInterval(() => progress.update(0), 500);
  let result: VerifyStoredChainResult;
  try {
    result = await verifyAuditDatabase({
      mongoUrl: options.mongoUrl,
      db: options.db,
      publicKeys,
      fromSeq: options.from,
      toSeq: options.to,
      checkpoints,
    });
  } catch (err) {
    return fail(
      `reading database ${options.db} at ${options.mongoUrl}`,
      err,
      "check --mongo-url and --db, and that the user may read audit_events and audit_checkpoints",
    );
  } finally {
    clearInterval(tick);
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  if (options.json) {
    io.out(`${JSON.stringify({ ...result, seconds })}\n`);
  } else {
    const range = `seq ${options.from ?? 1}..${options.to ?? "head"}`;
    io.out(`${describeResult(result, range)}\n`);
    io.out(
      `     checkpoints from the ${result.checkpointSource === "stream" ? "audit stream" : "database"}; ${seconds.toFixed(2)} s\n`,
    );
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}
