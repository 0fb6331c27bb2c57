import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthError, JwksUnavailableError } from "./auth-error.ts";
import { createDevIssuer } from "./create-dev-issuer.ts";
import type { DevIssuer } from "./create-dev-issuer.ts";
import { createTokenVerifier } from "./create-token-verifier.ts";
import type { TokenVerifier } from "./create-token-verifier.ts";

const issuerUrl = "https://issuer.warden.test";
const audience = "warden";

let issuer: DevIssuer;
let otherIssuer: DevIssuer;

beforeAll(async () => {
  issuer = await createDevIssuer({ issuer: issuerUrl, audience });
  otherIssuer = await createDevIssuer({ issuer: issuerUrl, audience });
});

async function authErrorOf(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AuthError) return err;
    throw err;
  }
  throw new Error("expected an AuthError");
}

function verifierCases(name: string, makeVerifier: () => TokenVerifier) {
  describe(name, () => {
    it("turns a good token into a principal", async () => {
      const token = await issuer.issue({
        sub: "agent-7",
        type: "ai_agent",
        roles: ["requester"],
        name: "Deploy bot",
      });
      expect(await makeVerifier().verify(token)).toEqual({
        id: "agent-7",
        type: "ai_agent",
        roles: ["requester"],
        name: "Deploy bot",
      });
    });

    it("defaults the type to human and roles to none", async () => {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: "EdDSA", kid: issuer.publicJwk.kid ?? "" })
        .setIssuer(issuerUrl)
        .setAudience(audience)
        .setSubject("alice")
        .setExpirationTime("5m")
        .sign(await importIssuerKey(issuer));
      expect(await makeVerifier().verify(token)).toEqual({ id: "alice", type: "human", roles: [] });
    });

    it("rejects an expired token", async () => {
      const token = await issuer.issue({ sub: "alice", expiresIn: "-1m" });
      const err = await authErrorOf(makeVerifier().verify(token));
      expect(err.code).toBe("expired");
      expect(err.message).toMatch(/^token expired at \d{4}-/);
    });

    it("rejects a token from another issuer", async () => {
      const foreign = await createDevIssuer({
        issuer: "https://evil.test",
        audience,
        privateKeyPem: issuer.privateKeyPem,
      });
      const err = await authErrorOf(makeVerifier().verify(await foreign.issue({ sub: "alice" })));
      expect(err.code).toBe("wrong_issuer");
      expect(err.message).toBe(`token issuer is not the trusted issuer ${issuerUrl}`);
    });

    it("rejects a token for another audience", async () => {
      const err = await authErrorOf(
        makeVerifier().verify(await issuer.issue({ sub: "alice", audience: "billing" })),
      );
      expect(err.code).toBe("wrong_audience");
      expect(err.message).toContain("audience does not include warden");
    });

    it("rejects a token signed with another key", async () => {
      const err = await authErrorOf(makeVerifier().verify(await otherIssuer.issue({ sub: "alice" })));
      expect(err.code).toBe("bad_signature");
    });

    it("rejects a tampered token", async () => {
      const token = await issuer.issue({ sub: "alice", roles: ["viewer"] });
      const [header, , signature] = token.split(".");
      const forged = Buffer.from(
        JSON.stringify({ sub: "alice", roles: ["admin"], iss: issuerUrl, aud: audience, exp: 4_000_000_000 }),
      ).toString("base64url");
      const err = await authErrorOf(makeVerifier().verify(`${header}.${forged}.${signature}`));
      expect(err.code).toBe("bad_signature");
    });

    it("rejects malformed tokens", async () => {
      for (const token of ["not-a-jwt", "a.b.c"]) {
        const err = await authErrorOf(makeVerifier().verify(token));
        expect(err.code, token).toBe("malformed");
        expect(err.message, token).toMatch(/^malformed token: /);
      }
      // An unsigned token (alg "none") is refused for its algorithm.
      const unsigned = await authErrorOf(makeVerifier().verify("eyJhbGciOiJub25lIn0.e30."));
      expect(unsigned.code).toBe("bad_signature");
      expect(unsigned.message).toContain("algorithm is not accepted");
    });

    it("rejects a token without a sub or with a bad type claim", async () => {
      const noSub = await new SignJWT({})
        .setProtectedHeader({ alg: "EdDSA", kid: issuer.publicJwk.kid ?? "" })
        .setIssuer(issuerUrl)
        .setAudience(audience)
        .setExpirationTime("5m")
        .sign(await importIssuerKey(issuer));
      const missingSub = await authErrorOf(makeVerifier().verify(noSub));
      expect(missingSub.code).toBe("malformed");
      expect(missingSub.message).toContain("sub");

      const badType = await issuer.issue({ sub: "x", claims: {}, type: "robot" as "human" });
      const typeErr = await authErrorOf(makeVerifier().verify(badType));
      expect(typeErr.code).toBe("malformed");
      expect(typeErr.message).toContain("claim warden_type");
    });

    it("rejects a token with an empty role name (control: the same token with a named role passes)", async () => {
      const emptyRole = await authErrorOf(
        makeVerifier().verify(await issuer.issue({ sub: "x", roles: [""] })),
      );
      expect(emptyRole.code).toBe("malformed");
      expect(emptyRole.message).toContain("roles");
      expect(
        (await makeVerifier().verify(await issuer.issue({ sub: "x", roles: ["viewer"] }))).roles,
      ).toEqual(["viewer"]);
    });

    it("rejects an empty token as missing", async () => {
      expect((await authErrorOf(makeVerifier().verify(""))).code).toBe("missing");
    });
  });
}

async function importIssuerKey(dev: DevIssuer) {
  const { createPrivateKey } = await import("node:crypto");
  return createPrivateKey(dev.privateKeyPem);
}

verifierCases("createTokenVerifier with a public key", () =>
  createTokenVerifier({ issuer: issuerUrl, audience, publicKey: issuer.publicJwk }),
);

describe("createTokenVerifier with a JWKS URL", () => {
  let server: Server;
  let jwksUrl = "";

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/.well-known/jwks.json") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(issuer.jwks()));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    jwksUrl = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  verifierCases("remote", () => createTokenVerifier({ issuer: issuerUrl, audience, jwksUrl }));

  it("reports an unreachable JWKS as JwksUnavailableError, not an auth failure", async () => {
    const verifier = createTokenVerifier({
      issuer: issuerUrl,
      audience,
      jwksUrl: jwksUrl.replace("jwks.json", "missing.json"),
    });
    await expect(verifier.verify(await issuer.issue({ sub: "alice" }))).rejects.toBeInstanceOf(
      JwksUnavailableError,
    );
  });
});

describe("verifier options", () => {
  it("checks expiry against currentDate with clock tolerance", async () => {
    const token = await issuer.issue({ sub: "alice", expiresIn: 60 });
    const later = new Date(Date.now() + 2 * 60_000);
    const err = await authErrorOf(issuer.verifier({ currentDate: later }).verify(token));
    expect(err.code).toBe("expired");
    expect(await issuer.verifier({ currentDate: later, clockTolerance: "5m" }).verify(token)).toMatchObject({
      id: "alice",
    });
  });

  it("reads roles from a nested claim when configured", async () => {
    const token = await issuer.issue({ sub: "bob", claims: { realm_access: { roles: ["approver"] } } });
    const principal = await issuer.verifier({ rolesClaim: "realm_access.roles" }).verify(token);
    expect(principal.roles).toEqual(["approver"]);
  });

  it("refuses algorithms outside the allowed list", async () => {
    const token = await issuer.issue({ sub: "alice" });
    const err = await authErrorOf(issuer.verifier({ algorithms: ["RS256"] }).verify(token));
    expect(err.code).toBe("bad_signature");
  });
});
