import type { IdentityConfig } from "@warden/config";
import { createDevIssuer, createTokenVerifier } from "@warden/identity";
import type { TokenVerifier } from "@warden/identity";

/** The identity factories createVerifier picks from; tests pass their own. */
export type VerifierFactories = {
  createTokenVerifier: typeof createTokenVerifier;
  createDevIssuer: typeof createDevIssuer;
};

const factories: VerifierFactories = { createTokenVerifier, createDevIssuer };

/**
 * The bearer-token verifier of a service: against JWKS_URL when set (production), else against the
 * local development issuer whose key lives in JWT_DEV_KEY_FILE.
 */
export async function createVerifier(
  config: IdentityConfig,
  use: VerifierFactories = factories,
): Promise<TokenVerifier> {
  if (config.JWKS_URL !== undefined) {
    return use.createTokenVerifier({
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      jwksUrl: config.JWKS_URL,
    });
  }
  const issuer = await use.createDevIssuer({
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    keyFile: config.JWT_DEV_KEY_FILE,
  });
  return issuer.verifier();
}
