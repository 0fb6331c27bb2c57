// Voting through a signed chat link (issue #13). `inspect` backs the confirmation page and has no
// side effect at all (chat clients prefetch links); `cast` is the POST from that page: it checks
// the token, re-checks who the person is, marks the link used (compare-and-set) and only then
// votes through the VoteSubmitter. Every refusal of a cast goes to the LinkRefusalSink.
import type { ApprovalView, VoteInput } from "../workflows/contract.ts";
import type { LinkRefusal, LinkRefusalReason } from "../domain/approval-notice.ts";
import { VoteRefusedError } from "./ports.ts";
import { BEARER_REQUIRED_RISKS, LinkTokenError } from "../domain/link-token.ts";
import type { LinkClaims, LinkTokens } from "../domain/link-token.ts";
import type {
  ApprovalReader,
  ApproverDirectory,
  LinkRefusalSink,
  UsedLinkStore,
  VoteSubmitter,
} from "./ports.ts";

/** A verified caller (from the person's bearer token). */
export interface LinkCaller {
  id: string;
  type: "human" | "ai_agent" | "service";
  roles: string[];
}

export interface LinkVoteDeps {
  tokens: LinkTokens;
  used: UsedLinkStore;
  vote: VoteSubmitter;
  read: ApprovalReader;
  refusals: LinkRefusalSink;
  directory: ApproverDirectory;
  /** Verifies a person's own bearer token (createVerifier's TokenVerifier). */
  authenticate: (bearer: string) => Promise<LinkCaller>;
  now?: () => Date;
}

export type LinkRefused = {
  ok: false;
  refusal: LinkRefusal;
  claims?: LinkClaims | undefined;
  /** For a refused vote: whether it was refused because of who votes (not the approval's state). */
  forbidden?: boolean | undefined;
};
export type Inspected =
  | {
      ok: true;
      claims: LinkClaims;
      approval: ApprovalView | undefined;
      used: boolean;
      bearerRequired: boolean;
    }
  | LinkRefused;
export type Cast = { ok: true; claims: LinkClaims; approval: ApprovalView } | LinkRefused;

export interface CastInput {
  token: string;
  /** The person's own bearer token (required for high and critical risk). */
  bearer?: string | undefined;
  /** A comment; required to reject. */
  comment?: string | undefined;
}

export interface LinkVotes {
  inspect(token: string): Promise<Inspected>;
  cast(input: CastInput): Promise<Cast>;
  /** Records a refusal decided outside (e.g. the transport's origin check). */
  refuse(refusal: LinkRefusal): Promise<LinkRefused>;
}

export function createLinkVotes(deps: LinkVoteDeps): LinkVotes {
  const now = deps.now ?? (() => new Date());

  const refuse = async (
    refusal: LinkRefusal,
    claims?: LinkClaims,
    forbidden?: boolean,
  ): Promise<LinkRefused> => {
    await deps.refusals.refused(refusal);
    return { ok: false, refusal, ...(claims && { claims }), ...(forbidden !== undefined && { forbidden }) };
  };
  const about = (claims: LinkClaims) => ({
    actionId: claims.actionId,
    linkId: claims.linkId,
    approver: claims.approver,
    decision: claims.decision,
  });
  const refusalOfToken = (err: unknown): LinkRefusal => {
    if (err instanceof LinkTokenError) return { reason: err.reason, message: err.message };
    throw err;
  };

  return {
    refuse: (refusal) => refuse(refusal),

    async inspect(token) {
      let claims: LinkClaims;
      try {
        claims = await deps.tokens.verify(token);
      } catch (err) {
        return { ok: false, refusal: refusalOfToken(err) };
      }
      const [approval, used] = await Promise.all([
        deps.read(claims.actionId),
        deps.used.isUsed(claims.linkId),
      ]);
      return {
        ok: true,
        claims,
        approval,
        used,
        bearerRequired: BEARER_REQUIRED_RISKS.includes(claims.risk),
      };
    },

    async cast(input) {
      let claims: LinkClaims;
      try {
        claims = await deps.tokens.verify(input.token);
      } catch (err) {
        return refuse(refusalOfToken(err));
      }
      const refuseAs = (reason: LinkRefusalReason, message: string, caller?: string, forbidden?: boolean) =>
        refuse(
          { reason, message, ...about(claims), ...(caller !== undefined && { caller }) },
          claims,
          forbidden,
        );

      let caller: LinkCaller | undefined;
      const bearer = input.bearer?.trim();
      if (bearer !== undefined && bearer !== "") {
        try {
          caller = await deps.authenticate(bearer);
        } catch (err) {
          const detail = err instanceof Error ? err.message : "not a valid token";
          return refuseAs("unauthenticated", `your sign-in token was not accepted: ${detail}`);
        }
        if (caller.id !== claims.approver) {
          return refuseAs(
            "wrong_approver",
            `this link is for ${claims.approver}, but the sign-in token is ${caller.id}'s`,
            caller.id,
          );
        }
      } else if (BEARER_REQUIRED_RISKS.includes(claims.risk)) {
        return refuseAs(
          "unauthenticated",
          `a ${claims.risk}-risk action needs your own sign-in token as well as the link`,
        );
      }
      const comment = input.comment?.trim() ?? "";
      if (claims.decision === "reject" && comment === "") {
        return refuseAs("invalid_input", "comment: a reason is required to reject", caller?.id);
      }
      const remaining = Math.ceil((claims.expiresAt.getTime() - now().getTime()) / 1000);
      // The id outlives the token by a minute, so a clock a little behind cannot replay it.
      if (!(await deps.used.claim(claims.linkId, Math.max(remaining, 1) + 60))) {
        return refuseAs("reused", "this link was already used: each link votes once", caller?.id);
      }
      const vote: VoteInput = {
        voter: caller ?? {
          type: "human",
          id: claims.approver,
          roles: deps.directory.rolesOf(claims.approver),
        },
        decision: claims.decision,
        ...(comment !== "" && { comment }),
      };
      try {
        return { ok: true, claims, approval: await deps.vote(claims.actionId, vote) };
      } catch (err) {
        if (err instanceof VoteRefusedError)
          return refuseAs("vote_refused", err.message, caller?.id, err.forbidden);
        // Not a refusal (the workflow could not be reached): the link works again.
        await deps.used.release(claims.linkId);
        throw err;
      }
    },
  };
}
