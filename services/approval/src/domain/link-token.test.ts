import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { clock, grant, TEST_LINK_KEY } from "../testing/link-fixtures.ts";
import { createLinkTokens, LINK_AUDIENCE, LINK_TOKEN_TYPE, LinkTokenError, riskName } from "./link-token.ts";

const make = (c = clock(), key = TEST_LINK_KEY) =>
  createLinkTokens({ key, ttlSeconds: 900, issuer: "warden-approval", now: c.now });

const reasonOf = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LinkTokenError);
  return (err as LinkTokenError).reason;
};

describe("link tokens", () => {
  it("name the action, approver, decision, risk, expiry and a unique id", async () => {
    const tokens = make();
    const a = await tokens.issue(grant());
    const b = await tokens.issue(grant());
    const claims = await tokens.verify(a.token);
    expect(claims).toMatchObject({
      actionId: "act-1",
      approver: "alice",
      decision: "approve",
      risk: "medium",
    });
    expect(claims.expiresAt.getTime() - claims.issuedAt.getTime()).toBe(900_000);
    expect(a.claims.linkId).not.toBe(b.claims.linkId);
  });

  it("refuse a token whose payload was altered (approver swapped) as tampered", async () => {
    const tokens = make();
    const { token } = await tokens.issue(grant());
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "mallory" })).toString("base64url");
    expect(await reasonOf(tokens.verify(`${header}.${forged}.${signature}`))).toBe("tampered");
    // Control: the untouched token passes.
    expect((await tokens.verify(token)).approver).toBe("alice");
  });

  it("refuse a token signed with another key as tampered", async () => {
    const other = make(clock(), new TextEncoder().encode("another-key-another-key-another-key!!"));
    const { token } = await other.issue(grant());
    expect(await reasonOf(make().verify(token))).toBe("tampered");
  });

  it("refuse an expired token, and accept it up to its last second", async () => {
    const c = clock();
    const tokens = make(c);
    const { token } = await tokens.issue(grant());
    c.advance(899);
    expect((await tokens.verify(token)).approver).toBe("alice");
    c.advance(2);
    expect(await reasonOf(tokens.verify(token))).toBe("expired");
  });

  it("refuse a JWT of the same key that is not a link (other audience or type)", async () => {
    const c = clock();
    const iat = Math.floor(c.now().getTime() / 1000);
    const base = { act: "act-1", agt: "a", dec: "approve", rsk: "low", env: "dev", sum: "" };
    const sign = (typ: string, aud: string) =>
      new SignJWT(base)
        .setProtectedHeader({ alg: "HS256", typ })
        .setIssuer("warden-approval")
        .setAudience(aud)
        .setSubject("alice")
        .setJti("x")
        .setIssuedAt(iat)
        .setExpirationTime(iat + 60)
        .sign(TEST_LINK_KEY);
    expect(await reasonOf(make(c).verify(await sign(LINK_TOKEN_TYPE, "warden")))).toBe("tampered");
    expect(await reasonOf(make(c).verify(await sign("JWT", LINK_AUDIENCE)))).toBe("tampered");
    // Control: the same claims with the link's type and audience verify.
    expect((await make(c).verify(await sign(LINK_TOKEN_TYPE, LINK_AUDIENCE))).actionId).toBe("act-1");
  });

  it("refuse garbage as malformed, and a too-short key at construction", async () => {
    expect(await reasonOf(make().verify("not-a-token"))).toBe("malformed");
    expect(() => createLinkTokens({ key: new Uint8Array(8), ttlSeconds: 60, issuer: "x" })).toThrow(
      /at least 32/,
    );
  });

  it("cut a long summary so links stay short", async () => {
    const { claims } = await make().issue(grant({ summary: "x".repeat(1000) }));
    expect(claims.summary).toHaveLength(240);
  });

  it("read risk names from the workflow input, unknown ones as critical", () => {
    expect(riskName("RISK_LEVEL_HIGH")).toBe("high");
    expect(riskName("low")).toBe("low");
    expect(riskName("")).toBe("critical");
  });
});
