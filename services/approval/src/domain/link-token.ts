// Signed approval links (issue #13): a compact JWT (HS256, key from config) naming the action, the
// intended approver (person id), the decision the link casts, the action's risk (which decides
// whether a bearer token is required), a short summary for the confirmation page, an expiry and a
// unique id (`jti`, the single-use key). Verification refuses tampered, expired, foreign and
// malformed tokens with a typed error; the clock is injected so tests never wait.
import { randomUUID } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";

export const LINK_DECISIONS = ["approve", "reject"] as const;
export type LinkDecision = (typeof LINK_DECISIONS)[number];

export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
export type RiskName = (typeof RISK_LEVELS)[number];

/** Risks for which a link alone is not enough: the person's own bearer token is required too. */
export const BEARER_REQUIRED_RISKS: readonly RiskName[] = ["high", "critical"];

/** The JWT `typ` header and audience of a link, so no other Warden token is taken for one. */
export const LINK_TOKEN_TYPE = "warden-approval-link+jwt";
export const LINK_AUDIENCE = "warden-approval-link";
const ALGORITHM = "HS256";
/** The shortest signing key accepted (HS256 wants at least the hash size). */
export const MIN_LINK_KEY_BYTES = 32;
/** The page shows this much of the change summary; the link stays short enough for chat clients. */
export const MAX_SUMMARY_CHARS = 240;

export interface LinkGrant {
  actionId: string;
  agentId: string;
  /** The person the link is for (their identity's `sub`). */
  approver: string;
  decision: LinkDecision;
  risk: RiskName;
  environment: string;
  summary: string;
}

export interface LinkClaims extends LinkGrant {
  /** Unique link id: the single-use key. */
  linkId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export type LinkTokenRefusal = "expired" | "tampered" | "malformed";

export class LinkTokenError extends Error {
  readonly reason: LinkTokenRefusal;
  constructor(reason: LinkTokenRefusal, message: string) {
    super(message);
    this.name = "LinkTokenError";
    this.reason = reason;
  }
}

export interface LinkTokenOptions {
  /** The HMAC key (≥ 32 bytes). */
  key: Uint8Array;
  /** How long a link is valid, seconds. */
  ttlSeconds: number;
  /** The issuer written into and expected in every token, e.g. the service name. */
  issuer: string;
  now?: () => Date;
}

export interface LinkTokens {
  readonly ttlSeconds: number;
  issue(grant: LinkGrant): Promise<{ token: string; claims: LinkClaims }>;
  /** The claims of a valid token; throws LinkTokenError otherwise. */
  verify(token: string): Promise<LinkClaims>;
}

const Payload = z.object({
  act: z.string().min(1),
  agt: z.string().min(1),
  sub: z.string().min(1),
  dec: z.enum(LINK_DECISIONS),
  rsk: z.enum(RISK_LEVELS),
  env: z.string(),
  sum: z.string().max(MAX_SUMMARY_CHARS),
  jti: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
});

/** A risk name from a workflow input (`high`, `RISK_LEVEL_HIGH`); unknown values count as critical. */
export function riskName(value: string): RiskName {
  const name = value.toLowerCase().replace(/^risk_level_/, "");
  return (RISK_LEVELS as readonly string[]).includes(name) ? (name as RiskName) : "critical";
}

export function createLinkTokens(options: LinkTokenOptions): LinkTokens {
  if (options.key.byteLength < MIN_LINK_KEY_BYTES) {
    throw new Error(
      `link signing key: ${options.key.byteLength} bytes, at least ${MIN_LINK_KEY_BYTES} needed`,
    );
  }
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw new Error(`link ttl: ${options.ttlSeconds}, a positive whole number of seconds needed`);
  }
  const now = options.now ?? (() => new Date());
  const { key, issuer, ttlSeconds } = options;
  return {
    ttlSeconds,
    async issue(grant) {
      const iat = Math.floor(now().getTime() / 1000);
      const exp = iat + ttlSeconds;
      const linkId = randomUUID();
      const summary =
        grant.summary.length > MAX_SUMMARY_CHARS
          ? `${grant.summary.slice(0, MAX_SUMMARY_CHARS - 1)}…`
          : grant.summary;
      const token = await new SignJWT({
        act: grant.actionId,
        agt: grant.agentId,
        dec: grant.decision,
        rsk: grant.risk,
        env: grant.environment,
        sum: summary,
      })
        .setProtectedHeader({ alg: ALGORITHM, typ: LINK_TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(LINK_AUDIENCE)
        .setSubject(grant.approver)
        .setJti(linkId)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
      return {
        token,
        claims: {
          ...grant,
          summary,
          linkId,
          issuedAt: new Date(iat * 1000),
          expiresAt: new Date(exp * 1000),
        },
      };
    },
    async verify(token) {
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer,
          audience: LINK_AUDIENCE,
          typ: LINK_TOKEN_TYPE,
          currentDate: now(),
          clockTolerance: 0,
          requiredClaims: ["jti", "sub", "exp", "iat"],
        }));
      } catch (err) {
        throw refusalOf(err);
      }
      const parsed = Payload.safeParse(payload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new LinkTokenError(
          "malformed",
          `link token: ${issue?.path.join(".") ?? "claims"}: ${issue?.message ?? "invalid"}`,
        );
      }
      const p = parsed.data;
      return {
        actionId: p.act,
        agentId: p.agt,
        approver: p.sub,
        decision: p.dec,
        risk: p.rsk,
        environment: p.env,
        summary: p.sum,
        linkId: p.jti,
        issuedAt: new Date(p.iat * 1000),
        expiresAt: new Date(p.exp * 1000),
      };
    },
  };
}

function refusalOf(err: unknown): LinkTokenError {
  if (err instanceof errors.JWTExpired) return new LinkTokenError("expired", "this link has expired");
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new LinkTokenError("tampered", "this link was altered: its signature does not match");
  if (err instanceof errors.JWTClaimValidationFailed)
    return new LinkTokenError(
      "tampered",
      `this link is not a Warden approval link (${err.claim}: ${err.reason})`,
    );
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new LinkTokenError("tampered", "this link was altered: unexpected signature algorithm");
  return new LinkTokenError("malformed", "this link is not a valid approval link");
}
