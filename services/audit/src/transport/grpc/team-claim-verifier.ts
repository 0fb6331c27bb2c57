// Team leads read their team's records, but @warden/identity's Principal has no team. This wraps a
// verifier: once the token has verified, its team claim (AUDIT_TEAM_CLAIM, default "team") is read
// from the payload and put on the principal. The payload is only read after verification, so the
// claim is as trustworthy as the rest of the token. (Follow-up: a `team` on Principal itself.)
import type { Principal } from "@warden/identity";
import type { TokenVerifier } from "@warden/grpc";

export type PrincipalWithTeam = Principal & { team?: string };

function payloadOf(token: string): Record<string, unknown> {
  const part = token.split(".")[1];
  if (part === undefined) return {};
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function withTeamClaim(verifier: TokenVerifier, claim = "team"): TokenVerifier {
  return {
    async verify(token: string): Promise<Principal> {
      const principal = await verifier.verify(token);
      const team = payloadOf(token)[claim];
      if (typeof team !== "string" || team === "") return principal;
      const withTeam: PrincipalWithTeam = { ...principal, team };
      return withTeam;
    },
  };
}

export function teamOf(principal: Principal): string | undefined {
  const team = (principal as PrincipalWithTeam).team;
  return typeof team === "string" ? team : undefined;
}
