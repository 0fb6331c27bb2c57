// @warden/sdk: the agent's client (connect → request / guard), speaking only NATS.
export { connect, DEFAULT_LEASE_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RPC_TIMEOUT_MS } from "./connect.ts";
export type {
  ConnectOptions,
  Credentials,
  GuardOptions,
  RequestOptions,
  RequestResult,
  WardenAgent,
} from "./connect.ts";
export type { Action } from "./action.ts";
export { canonicalDigest } from "./action.ts";
export * from "./errors.ts";
