import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { SignJWT, calculateJwkThumbprint } from "jose";
import type { JWK } from "jose";
import { createTokenVerifier } from "./create-token-verifier.ts";
import type { TokenVerifier, VerifierOptionsOverride } from "./create-token-verifier.ts";
import { claimNames } from "./principal.ts";
import type { PrincipalType } from "./principal.ts";

export interface DevIssuerOptions {
  issuer: string;
  audience: string;
  /** An Ed25519 private key (PKCS#8 PEM) to sign with. */
  privateKeyPem?: string;
  /**
   * A PEM file holding the Ed25519 private key: read when it exists, else a new key is generated
   * and written there (mode 0600), so tokens survive restarts of a dev setup.
   */
  keyFile?: string;
  /** Default lifetime of issued tokens, a jose duration; default `"15m"`. */
  defaultExpiresIn?: string;
}

export interface IssueOptions {
  sub: string;
  /** Default `human`. */
  type?: PrincipalType;
  roles?: readonly string[];
  name?: string;
  /** A jose duration (`"15m"`, `"2h"`, `"-1m"` for an already expired token) or seconds from now. */
  expiresIn?: string | number;
  /** Override the audience (e.g. to mint a token for another service). */
  audience?: string;
  /** Extra claims. */
  claims?: Record<string, unknown>;
}

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The public key as a JWK, with `kid`, `alg: "EdDSA"` and `use: "sig"`. */
  readonly publicJwk: JWK;
  /** The private key as PKCS#8 PEM (to persist it or hand it to another process). */
  readonly privateKeyPem: string;
  /** A signed JWT for the principal. */
  issue(options: IssueOptions): Promise<string>;
  /** The JWKS document to serve at a `jwks_uri`. */
  jwks(): { keys: JWK[] };
  /** A verifier that trusts this issuer's key. */
  verifier(options?: VerifierOptionsOverride): TokenVerifier;
}

/** A local development / test token issuer signing EdDSA (Ed25519) JWTs. */
export async function createDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const privateKey = await loadPrivateKey(options);
  const publicBase = createPublicKey(privateKey).export({ format: "jwk" }) as JWK;
  const kid = await calculateJwkThumbprint(publicBase);
  const publicJwk: JWK = { ...publicBase, kid, alg: "EdDSA", use: "sig" };
  const privateKeyPem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const defaultExpiresIn = options.defaultExpiresIn ?? "15m";

  return {
    issuer: options.issuer,
    audience: options.audience,
    publicJwk,
    privateKeyPem,
    async issue(issue) {
      const now = Math.floor(Date.now() / 1000);
      const expiresIn = issue.expiresIn ?? defaultExpiresIn;
      return new SignJWT({
        ...issue.claims,
        [claimNames.type]: issue.type ?? "human",
        [claimNames.roles]: [...(issue.roles ?? [])],
        ...(issue.name === undefined ? {} : { [claimNames.name]: issue.name }),
      })
        .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid })
        .setIssuer(options.issuer)
        .setAudience(issue.audience ?? options.audience)
        .setSubject(issue.sub)
        .setIssuedAt(now)
        .setJti(randomUUID())
        .setExpirationTime(typeof expiresIn === "number" ? now + expiresIn : expiresIn)
        .sign(privateKey);
    },
    jwks: () => ({ keys: [publicJwk] }),
    verifier: (override = {}) =>
      createTokenVerifier({
        issuer: options.issuer,
        audience: options.audience,
        publicKey: publicJwk,
        ...override,
      }),
  };
}

async function loadPrivateKey(options: DevIssuerOptions): Promise<KeyObject> {
  if (options.privateKeyPem !== undefined) {
    return ed25519From(options.privateKeyPem, "privateKeyPem");
  }
  if (options.keyFile === undefined) {
    return generateKeyPairSync("ed25519").privateKey;
  }
  const existing = await readIfExists(options.keyFile);
  if (existing !== undefined) {
    return ed25519From(existing, options.keyFile);
  }
  const generated = generateKeyPairSync("ed25519").privateKey;
  await mkdir(dirname(options.keyFile), { recursive: true });
  try {
    await writeFile(options.keyFile, generated.export({ format: "pem", type: "pkcs8" }), {
      mode: 0o600,
      flag: "wx",
    });
    return generated;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      return ed25519From(await readFile(options.keyFile, "utf8"), options.keyFile);
    }
    throw err;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function ed25519From(pem: string, source: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== "ed25519") {
    throw new Error(`${source}: expected an Ed25519 private key, got ${key.asymmetricKeyType ?? "unknown"}`);
  }
  return key;
}

export interface MintDevTokenOptions extends Omit<DevIssuerOptions, "defaultExpiresIn"> {
  sub: string;
  type?: PrincipalType;
  /** A list or a comma-separated string, as a CLI flag gives it. */
  roles?: string | readonly string[];
  name?: string;
  expiresIn?: string | number;
}

/**
 * Mints one dev token in a single call, for scripts and the CLI:
 * `await mintDevToken({ issuer, audience, keyFile: ".warden/dev-issuer.pem", sub: "alice", roles: "approver" })`.
 */
export async function mintDevToken(options: MintDevTokenOptions): Promise<string> {
  const { sub, type, roles, name, expiresIn, ...issuerOptions } = options;
  const issuer = await createDevIssuer(issuerOptions);
  const roleList =
    typeof roles === "string"
      ? roles
          .split(",")
          .map((role) => role.trim())
          .filter((role) => role.length > 0)
      : roles;
  return issuer.issue({
    sub,
    ...(type === undefined ? {} : { type }),
    ...(roleList === undefined ? {} : { roles: roleList }),
    ...(name === undefined ? {} : { name }),
    ...(expiresIn === undefined ? {} : { expiresIn }),
  });
}
