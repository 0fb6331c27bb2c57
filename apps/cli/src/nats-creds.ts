// The NATS credentials of the commands that read a stream directly (audit verify --nats-url, audit
// restore-from-stream): `--creds <file>` or WARDEN_NATS_CREDS, checked before connecting, and the
// connection's credential refusals turned into what to do.
import { accessSync, constants } from "node:fs";
import { CliInputError } from "./cli-error.ts";

/** The creds file to use (flag wins over the environment), or undefined; unreadable → usage error. */
export function natsCredsOption(flag: string | undefined, env: string | undefined): string | undefined {
  const file = flag ?? env;
  if (file === undefined) return undefined;
  const from = flag !== undefined ? "--creds" : "WARDEN_NATS_CREDS";
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new CliInputError([
      `${from}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      "  give the path of a NATS .creds file (user JWT + seed), e.g. one minted for the audit",
    ]);
  }
  return file;
}

/** When `err` is the server's (or our) credential refusal: what the operator should do. */
export function natsCredsHint(err: unknown, creds: string | undefined): string | undefined {
  if (!(err instanceof Error) || err.name !== "NatsCredentialsError") return undefined;
  return creds === undefined
    ? "the NATS server requires credentials: pass --creds <file> or set WARDEN_NATS_CREDS"
    : `the NATS credentials in ${creds} were refused or are not a .creds file: check --creds / WARDEN_NATS_CREDS`;
}
