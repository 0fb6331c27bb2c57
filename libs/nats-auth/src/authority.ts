// Decentralized NATS auth (ADR 0013-nats-identities): one operator, the system account, and one
// Warden account holding every service and agent as a user. Users are JWTs signed by the account
// key, so adding one never touches the server; revoking one is an updated account JWT pushed to the
// server's `full` resolver through the system account, effective at once and cluster-wide.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Algorithms,
  createAccount,
  createOperator,
  createUser,
  decode,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  fromSeed,
} from "@nats-io/jwt";
import type { Account, KeyPair, User } from "@nats-io/jwt";
import type { NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { identityName, type NatsIdentity } from "./identity.ts";
import { agentInboxPrefix, permissionsFor } from "./permissions.ts";
import type { PermissionOptions } from "./permissions.ts";

export type NatsAuthority = {
  readonly operator: KeyPair;
  readonly system: KeyPair;
  readonly account: KeyPair;
  /** User public key → unix seconds: users of that key issued at or before it are refused. */
  readonly revocations: Record<string, number>;
};

export type IssuedUser = {
  /** The .creds file's text (user JWT + seed): `credsAuthenticator` / NATS_CREDS take it. */
  creds: string;
  jwt: string;
  /** The user's public key, what `revoke` names. */
  publicKey: string;
  /** For an agent: the inbox prefix its connection must use (NATS_INBOX_PREFIX / `inboxPrefix`). */
  inboxPrefix?: string;
};

const opts = { algorithm: Algorithms.v2 };

export function createNatsAuthority(): NatsAuthority {
  return { operator: createOperator(), system: createAccount(), account: createAccount(), revocations: {} };
}

export async function operatorJwt(a: NatsAuthority): Promise<string> {
  return encodeOperator(
    "warden",
    a.operator,
    { system_account: a.system.getPublicKey() },
    { ...opts, signer: a.operator },
  );
}

const unlimited = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};

export async function systemAccountJwt(a: NatsAuthority): Promise<string> {
  // Without explicit limits an account JWT allows no connection at all.
  return encodeAccount("SYS", a.system, { limits: unlimited }, { ...opts, signer: a.operator });
}

/** The Warden account: JetStream on, no limits, and the authority's revocations. */
export async function wardenAccountJwt(a: NatsAuthority): Promise<string> {
  const account: Partial<Account> = {
    limits: {
      ...unlimited,
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
    revocations: { ...a.revocations },
  };
  return encodeAccount("WARDEN", a.account, account, { ...opts, signer: a.operator });
}

export type AccountJwts = { operator: string; system: string; account: string };

export async function accountJwts(a: NatsAuthority): Promise<AccountJwts> {
  return {
    operator: await operatorJwt(a),
    system: await systemAccountJwt(a),
    account: await wardenAccountJwt(a),
  };
}

/**
 * The nats-server configuration (auth part): operator mode with a `full` resolver in `resolverDir`
 * (for a cluster, every node gets the same text and its own dir; the resolver replicates pushed
 * account JWTs between nodes), both accounts preloaded.
 */
export function natsServerAuthConfig(a: NatsAuthority, jwts: AccountJwts, resolverDir: string): string {
  return [
    `operator: ${JSON.stringify(jwts.operator)}`,
    `system_account: ${a.system.getPublicKey()}`,
    "resolver: {",
    "  type: full",
    `  dir: ${JSON.stringify(resolverDir)}`,
    "  allow_delete: false",
    '  interval: "2m"',
    '  timeout: "2s"',
    "}",
    "resolver_preload: {",
    `  ${a.system.getPublicKey()}: ${JSON.stringify(jwts.system)}`,
    `  ${a.account.getPublicKey()}: ${JSON.stringify(jwts.account)}`,
    "}",
    "",
  ].join("\n");
}

export type IssueOptions = {
  /** WARDEN_NAMESPACE of the installation the permissions are for (default none). */
  namespace?: string;
  /** Seconds until the credentials expire; default never (revocation ends them). */
  expiresInS?: number;
} & PermissionOptions;

/** A user JWT with the identity's permissions, signed by the Warden account: no server change. */
export async function issueUser(
  a: NatsAuthority,
  identity: NatsIdentity,
  options: IssueOptions = {},
): Promise<IssuedUser> {
  const namespace = options.namespace ?? "";
  const ukp = createUser();
  const permissions = permissionsFor(identity, namespace, {
    ...(options.reportsDeployments !== undefined && { reportsDeployments: options.reportsDeployments }),
  });
  const user: Partial<User> = {
    pub: permissions.pub,
    sub: permissions.sub,
    ...(permissions.resp !== undefined && { resp: permissions.resp }),
    tags: [identityName(identity), ...(namespace === "" ? [] : [`namespace:${namespace}`])],
  };
  const jwt = await encodeUser(identityName(identity), ukp, a.account, user, {
    ...opts,
    ...(options.expiresInS !== undefined && { exp: Math.floor(Date.now() / 1000) + options.expiresInS }),
  });
  return {
    creds: new TextDecoder().decode(fmtCreds(jwt, ukp)),
    jwt,
    publicKey: ukp.getPublicKey(),
    ...(identity.kind === "agent" && { inboxPrefix: agentInboxPrefix(identity.agentId, namespace) }),
  };
}

/** A user of the system account (pushing account updates, server monitoring). */
export async function issueSystemUser(a: NatsAuthority): Promise<IssuedUser> {
  const ukp = createUser();
  const jwt = await encodeUser("system", ukp, a.system, {}, opts);
  return { creds: new TextDecoder().decode(fmtCreds(jwt, ukp)), jwt, publicKey: ukp.getPublicKey() };
}

/** The public key of the user in a .creds text or user JWT. */
export function userPublicKey(credsOrJwt: string): string {
  const jwt = /-----BEGIN NATS USER JWT-----\s*(\S+)/.exec(credsOrJwt)?.[1] ?? credsOrJwt.trim();
  return decode(jwt).sub;
}

/**
 * Revokes a user (every JWT of that key issued up to now) and returns the updated Warden account
 * JWT; `pushAccountJwt` makes the server apply it.
 */
export async function revokeUser(a: NatsAuthority, publicKey: string): Promise<string> {
  a.revocations[publicKey] = Math.floor(Date.now() / 1000);
  return wardenAccountJwt(a);
}

/**
 * Sends an account JWT to the resolver (`$SYS.REQ.CLAIMS.UPDATE`) over a system-account
 * connection; the server closes the connections of users revoked by it.
 */
export async function pushAccountJwt(systemConnection: NatsConnection, accountJwt: string): Promise<void> {
  const reply = await systemConnection.request("$SYS.REQ.CLAIMS.UPDATE", accountJwt, { timeout: 5_000 });
  const answer = reply.json<{ error?: { code?: number; description?: string } }>();
  if (answer.error !== undefined) {
    throw new Error(
      `the resolver refused the account JWT: ${answer.error.description ?? JSON.stringify(answer)}`,
    );
  }
}

const stored = z.object({
  operator: z.string().startsWith("SO"),
  system: z.string().startsWith("SA"),
  account: z.string().startsWith("SA"),
  revocations: z.record(z.string(), z.number()),
});

/** Development only: keeps the authority's seeds in `<dir>/nats-authority.json` (mode 0600). */
export function saveNatsAuthority(a: NatsAuthority, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "nats-authority.json");
  const seed = (kp: KeyPair): string => new TextDecoder().decode(kp.getSeed());
  writeFileSync(
    file,
    JSON.stringify({
      operator: seed(a.operator),
      system: seed(a.system),
      account: seed(a.account),
      revocations: a.revocations,
    }),
    { mode: 0o600 },
  );
  chmodSync(file, 0o600);
  return file;
}

/** Reads what `saveNatsAuthority` wrote, or undefined when `<dir>/nats-authority.json` is missing. */
export function loadNatsAuthority(dir: string): NatsAuthority | undefined {
  const file = join(dir, "nats-authority.json");
  if (!existsSync(file)) return undefined;
  const parsed = stored.parse(JSON.parse(readFileSync(file, "utf8")));
  const kp = (seed: string): KeyPair => fromSeed(new TextEncoder().encode(seed));
  return {
    operator: kp(parsed.operator),
    system: kp(parsed.system),
    account: kp(parsed.account),
    revocations: { ...parsed.revocations },
  };
}

/** Development only: the authority kept in `dir` (`make up`'s .warden/), created on first use. */
export function devNatsAuthority(dir: string): NatsAuthority {
  const existing = loadNatsAuthority(dir);
  if (existing !== undefined) return existing;
  const created = createNatsAuthority();
  saveNatsAuthority(created, dir);
  return created;
}

/**
 * Development only: credentials for `identity` written to `<dir>/nats/<identity>.creds` (mode 0600),
 * for a service's NATS_CREDS; returns the path and what was issued.
 */
export async function writeDevCreds(
  dir: string,
  identity: NatsIdentity,
  options: IssueOptions = {},
): Promise<IssuedUser & { file: string }> {
  const issued = await issueUser(devNatsAuthority(dir), identity, options);
  const credsDir = join(dir, "nats");
  mkdirSync(credsDir, { recursive: true });
  const file = join(credsDir, `${identityName(identity).replace(/[^A-Za-z0-9_-]/g, "-")}.creds`);
  writeFileSync(file, issued.creds, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { ...issued, file };
}
