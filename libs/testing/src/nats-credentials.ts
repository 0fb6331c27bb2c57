// Development / test NATS credentials: the harness's authority (its seeds in a directory) mints a
// user JWT for any identity on demand — no server change — so a test names who it connects as.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { issueUser, loadNatsAuthority, parseIdentity } from "@warden/nats-auth";

export type NatsCredentials = {
  /** The .creds text (connectNats `creds`); absent when the server runs without authentication. */
  creds?: string;
  /** An agent's inbox prefix (connectNats `inboxPrefix`). */
  inboxPrefix?: string;
};

/**
 * Credentials for `identity` (`"test-admin"` — full rights, test set-up only —, `"service:policy"`,
 * `"agent:deploy-bot"`, …) in `namespace`, from the authority kept in `authDir`; `{}` when `authDir`
 * is empty (a server without authentication). Spread into connectNats options.
 */
export async function mintNatsCredentials(
  authDir: string,
  identity: string,
  options: { namespace?: string } = {},
): Promise<NatsCredentials> {
  if (authDir === "") return {};
  const authority = loadNatsAuthority(authDir);
  if (authority === undefined) throw new Error(`no NATS authority in ${authDir} (nats-authority.json)`);
  const user = await issueUser(authority, parseIdentity(identity), { namespace: options.namespace ?? "" });
  return { creds: user.creds, ...(user.inboxPrefix !== undefined && { inboxPrefix: user.inboxPrefix }) };
}

/**
 * The same written to a .creds file under `<authDir>/creds/` (for NATS_CREDS of a service config or
 * a child process); undefined without authentication.
 */
export async function mintNatsCredsFile(
  authDir: string,
  identity: string,
  options: { namespace?: string } = {},
): Promise<string | undefined> {
  const { creds } = await mintNatsCredentials(authDir, identity, options);
  if (creds === undefined) return undefined;
  const dir = join(authDir, "creds");
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    `${identity.replace(/[^A-Za-z0-9_-]/g, "_")}-${randomBytes(4).toString("hex")}.creds`,
  );
  writeFileSync(file, creds, { mode: 0o600 });
  return file;
}
