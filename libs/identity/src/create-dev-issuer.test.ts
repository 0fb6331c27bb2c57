import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDevIssuer, mintDevToken } from "./create-dev-issuer.ts";

const base = { issuer: "https://dev.warden.test", audience: "warden" };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-identity-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("createDevIssuer", () => {
  it("issues EdDSA tokens with the Warden claims and a kid that the JWKS publishes", async () => {
    const issuer = await createDevIssuer(base);
    const token = await issuer.issue({ sub: "svc-policy", type: "service", roles: ["decider"] });
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    expect(header).toMatchObject({ alg: "EdDSA", typ: "JWT", kid: issuer.publicJwk.kid });
    expect(claims).toMatchObject({
      iss: base.issuer,
      aud: "warden",
      sub: "svc-policy",
      warden_type: "service",
      roles: ["decider"],
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(15 * 60);
    expect(typeof claims.jti).toBe("string");
    expect(issuer.jwks()).toEqual({ keys: [issuer.publicJwk] });
    expect(issuer.publicJwk).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(issuer.publicJwk).not.toHaveProperty("d");
  });

  it("persists its key in keyFile and reuses it", async () => {
    const keyFile = join(dir, "nested", "dev-issuer.pem");
    const first = await createDevIssuer({ ...base, keyFile });
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(keyFile, "utf8")).toContain("BEGIN PRIVATE KEY");
    const second = await createDevIssuer({ ...base, keyFile });
    expect(second.publicJwk).toEqual(first.publicJwk);
    const token = await first.issue({ sub: "alice" });
    expect(await second.verifier().verify(token)).toMatchObject({ id: "alice" });
  });

  it("loads a PEM and refuses a key that is not Ed25519", async () => {
    const original = await createDevIssuer(base);
    const loaded = await createDevIssuer({ ...base, privateKeyPem: original.privateKeyPem });
    expect(loaded.publicJwk).toEqual(original.publicJwk);
    const { generateKeyPairSync } = await import("node:crypto");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    await expect(createDevIssuer({ ...base, privateKeyPem: rsa })).rejects.toThrow(
      "expected an Ed25519 private key, got rsa",
    );
  });
});

describe("mintDevToken", () => {
  it("mints a token a verifier of the same key file accepts, roles from a comma list", async () => {
    const keyFile = join(dir, "dev.pem");
    const token = await mintDevToken({
      ...base,
      keyFile,
      sub: "alice",
      roles: "approver, viewer",
      expiresIn: "1h",
    });
    const issuer = await createDevIssuer({ ...base, keyFile });
    expect(await issuer.verifier().verify(token)).toEqual({
      id: "alice",
      type: "human",
      roles: ["approver", "viewer"],
    });
  });
});
