import { createRemoteJWKSet, errors, importJWK, jwtVerify } from "jose";
import type { CryptoKey, JWK, JWTPayload, JWTVerifyGetKey, KeyObject } from "jose";
import { z } from "zod";
import { AuthError, JwksUnavailableError } from "./auth-error.ts";
import { claimNames, principalTypes } from "./principal.ts";
import type { Principal } from "./principal.ts";

/** Signature algorithms accepted by default (EdDSA for the dev issuer; the usual OIDC ones). */
export const defaultAlgorithms: readonly string[] = ["EdDSA", "Ed25519", "ES256", "ES384", "RS256", "PS256"];

interface VerifierCommon {
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud` (the token's `aud` must contain it). */
  audience: string;
  /** Accepted `alg` values; default {@link defaultAlgorithms}. */
  algorithms?: readonly string[];
  /** Allowed clock skew for `exp`/`nbf`, seconds or a jose duration like `"5s"`; default 5s. */
  clockTolerance?: number | string;
  /** Claim holding the principal type; default `warden_type`. */
  typeClaim?: string;
  /** Claim holding the roles array, may be a dotted path (`realm_access.roles`); default `roles`. */
  rolesClaim?: string;
  /** "Now" for `exp`/`nbf` checks; tests only. */
  currentDate?: Date;
}

export interface RemoteVerifierOptions extends VerifierCommon {
  /** The issuer's JWKS document URL (production: the OIDC provider's `jwks_uri`). */
  jwksUrl: string;
  /** Fetch timeout in ms (default 5000). */
  jwksTimeoutMs?: number;
  /** Minimum ms between refetches on an unknown `kid` (default 30000). */
  jwksCooldownMs?: number;
}

export interface LocalVerifierOptions extends VerifierCommon {
  /** The issuer's public key: a JWK (its `alg` is used, else EdDSA) or an imported key. */
  publicKey: JWK | CryptoKey | KeyObject;
}

export type TokenVerifierOptions = RemoteVerifierOptions | LocalVerifierOptions;

/** The options a dev issuer's `verifier()` lets a test change. */
export type VerifierOptionsOverride = Partial<Omit<LocalVerifierOptions, "publicKey">>;

export interface TokenVerifier {
  /**
   * The principal a bearer token names. Throws AuthError (`expired`, `wrong_issuer`,
   * `wrong_audience`, `bad_signature`, `malformed`) or, when the JWKS cannot be fetched,
   * JwksUnavailableError.
   */
  verify(token: string): Promise<Principal>;
}

const claimsSchema = z.object({
  sub: z.string().min(1, "empty sub claim"),
  type: z.enum(principalTypes).optional(),
  // Every role is a name: an empty or oversized one is a malformed token, not a role nobody holds
  // (events carry roles, and their schema refuses such names).
  roles: z.array(z.string().min(1, "empty role name").max(128)).max(64).optional(),
  name: z.string().optional(),
});

/** Verifies bearer JWTs against a JWKS URL or one public key. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const remote = "jwksUrl" in options;
  let keyPromise: Promise<JWTVerifyGetKey | CryptoKey | KeyObject | Uint8Array> | undefined;
  // Resolved on first use, so a bad key surfaces from verify() rather than as an unhandled rejection.
  const key = () =>
    (keyPromise ??= remote
      ? Promise.resolve(
          createRemoteJWKSet(new URL(options.jwksUrl), {
            timeoutDuration: options.jwksTimeoutMs ?? 5000,
            cooldownDuration: options.jwksCooldownMs ?? 30_000,
          }),
        )
      : importPublicKey(options.publicKey));
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms: [...(options.algorithms ?? defaultAlgorithms)],
    clockTolerance: options.clockTolerance ?? 5,
    requiredClaims: ["exp", "sub"],
    ...(options.currentDate === undefined ? {} : { currentDate: options.currentDate }),
  };
  const typeClaim = options.typeClaim ?? claimNames.type;
  const rolesClaim = options.rolesClaim ?? claimNames.roles;

  return {
    async verify(token) {
      if (token.trim() === "") {
        throw new AuthError("missing", "no bearer token");
      }
      let payload: JWTPayload;
      try {
        const resolved = await key();
        // jwtVerify has overloads for a key and for a key-resolving function.
        const result =
          typeof resolved === "function"
            ? await jwtVerify(token, resolved, verifyOptions)
            : await jwtVerify(token, resolved, verifyOptions);
        payload = result.payload;
      } catch (err) {
        throw toAuthError(err, options, remote);
      }
      return principalFrom(payload, typeClaim, rolesClaim);
    },
  };
}

async function importPublicKey(
  key: JWK | CryptoKey | KeyObject,
): Promise<CryptoKey | KeyObject | Uint8Array> {
  if (isJwk(key)) {
    return importJWK(key, key.alg ?? "EdDSA");
  }
  return key;
}

function isJwk(key: JWK | CryptoKey | KeyObject): key is JWK {
  return typeof (key as { kty?: unknown }).kty === "string";
}

function principalFrom(payload: JWTPayload, typeClaim: string, rolesClaim: string): Principal {
  const parsed = claimsSchema.safeParse({
    sub: payload.sub,
    type: payload[typeClaim],
    roles: claimAt(payload, rolesClaim),
    name: payload[claimNames.name],
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const claim = String(issue?.path[0] ?? "claims");
    const claimName = claim === "type" ? typeClaim : claim === "roles" ? rolesClaim : claim;
    throw new AuthError("malformed", `malformed token: claim ${claimName}: ${issue?.message ?? "invalid"}`);
  }
  const { sub, type, roles, name } = parsed.data;
  return { id: sub, type: type ?? "human", roles: roles ?? [], ...(name === undefined ? {} : { name }) };
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let current: unknown = payload;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function toAuthError(err: unknown, options: TokenVerifierOptions, remote: boolean): Error {
  if (err instanceof AuthError) return err;
  if (err instanceof errors.JWTExpired) {
    const exp =
      typeof err.payload.exp === "number" ? ` at ${new Date(err.payload.exp * 1000).toISOString()}` : "";
    return new AuthError("expired", `token expired${exp}`, { cause: err });
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "iss":
        return new AuthError("wrong_issuer", `token issuer is not the trusted issuer ${options.issuer}`, {
          cause: err,
        });
      case "aud":
        return new AuthError("wrong_audience", `token audience does not include ${options.audience}`, {
          cause: err,
        });
      case "nbf":
        return new AuthError("expired", "token is not valid yet (nbf is in the future)", { cause: err });
      default:
        return new AuthError("malformed", `malformed token: claim ${err.claim}: ${err.message}`, {
          cause: err,
        });
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError("bad_signature", "token signature does not verify against the issuer's key", {
      cause: err,
    });
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError("bad_signature", "token is not signed by a key the issuer publishes", {
      cause: err,
    });
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new AuthError("bad_signature", `token signing algorithm is not accepted: ${err.message}`, {
      cause: err,
    });
  }
  if (
    err instanceof errors.JWSInvalid ||
    err instanceof errors.JWTInvalid ||
    err instanceof errors.JOSENotSupported ||
    err instanceof errors.JWKInvalid
  ) {
    return new AuthError("malformed", `malformed token: ${err.message}`, { cause: err });
  }
  if (remote) {
    const reason = err instanceof Error ? err.message : "unknown error";
    const url = "jwksUrl" in options ? options.jwksUrl : "";
    return new JwksUnavailableError(`cannot fetch the issuer's keys from ${url}: ${reason}`, { cause: err });
  }
  return err instanceof Error ? err : new Error("token verification failed", { cause: err });
}
