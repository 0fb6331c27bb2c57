import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createDevIssuer, createTokenVerifier } from "@warden/identity";
import type { TokenVerifier } from "@warden/identity";
import { createVerifier } from "./create-verifier.ts";

const sentinel: TokenVerifier = {
  verify: () => Promise.reject(new Error("sentinel verifier")),
};

describe("createVerifier", () => {
  it("verifies against JWKS_URL when it is set, even with a dev key file", async () => {
    const remote = vi.fn(() => sentinel);
    const dev = vi.fn(createDevIssuer);
    const verifier = await createVerifier(
      {
        JWT_ISSUER: "https://id.example.com/",
        JWT_AUDIENCE: "warden",
        JWKS_URL: "https://id.example.com/jwks",
        JWT_DEV_KEY_FILE: "/nonexistent/dev.pem",
      },
      { createTokenVerifier: remote, createDevIssuer: dev },
    );
    expect(verifier).toBe(sentinel);
    expect(remote).toHaveBeenCalledWith({
      issuer: "https://id.example.com/",
      audience: "warden",
      jwksUrl: "https://id.example.com/jwks",
    });
    expect(dev).not.toHaveBeenCalled();
  });

  it("without JWKS_URL, trusts the local issuer whose key is in JWT_DEV_KEY_FILE, and no other", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warden-verifier-"));
    try {
      const remote = vi.fn(createTokenVerifier);
      const config = {
        JWT_ISSUER: "https://dev.local/",
        JWT_AUDIENCE: "warden",
        JWT_DEV_KEY_FILE: join(dir, "dev-issuer.pem"),
      };
      const verifier = await createVerifier(config, { createTokenVerifier: remote, createDevIssuer });
      expect(remote).not.toHaveBeenCalled();

      const names = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
      const local = await createDevIssuer({ ...names, keyFile: config.JWT_DEV_KEY_FILE });
      const principal = await verifier.verify(await local.issue({ sub: "alice", roles: ["engineer"] }));
      expect(principal).toMatchObject({ id: "alice", roles: ["engineer"] });

      const stranger = await createDevIssuer(names);
      await expect(verifier.verify(await stranger.issue({ sub: "mallory" }))).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
