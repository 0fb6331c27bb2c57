export { principalTypes, claimNames } from "./principal.ts";
export type { Principal, PrincipalType } from "./principal.ts";
export { AuthError, PermissionError, JwksUnavailableError } from "./auth-error.ts";
export type { AuthErrorCode } from "./auth-error.ts";
export { createTokenVerifier, defaultAlgorithms } from "./create-token-verifier.ts";
export type {
  TokenVerifier,
  TokenVerifierOptions,
  RemoteVerifierOptions,
  LocalVerifierOptions,
  VerifierOptionsOverride,
} from "./create-token-verifier.ts";
export { bearerFrom } from "./bearer-from.ts";
export { requireRoles, hasRoles } from "./require-roles.ts";
export { createDevIssuer, mintDevToken } from "./create-dev-issuer.ts";
export type { DevIssuer, DevIssuerOptions, IssueOptions, MintDevTokenOptions } from "./create-dev-issuer.ts";
