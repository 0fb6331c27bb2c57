// The emergency-stop state as stored in the kill-switch KV bucket under KILLSWITCH_STATE_KEY: the
// proto JSON of warden.killswitch.v1.EmergencyStop. Readers (policy, approval, agents) need only
// whether a stop is active, its epoch and its scopes; the kill-switch service owns the rest.
import { z } from "zod";
import { UInt64, unset } from "./common.ts";

export const KILLSWITCH_STATE_KEY = "state";

export const ScopeKind = z.enum([
  "SCOPE_KIND_GLOBAL",
  "SCOPE_KIND_ENVIRONMENT",
  "SCOPE_KIND_AGENT",
  "SCOPE_KIND_SERVICE",
]);

export const StopScopeData = z.strictObject({
  kind: unset(ScopeKind, "SCOPE_KIND_UNSPECIFIED"),
  value: z.string().optional(),
});

/** The fields of EmergencyStop every reader relies on; other fields are ignored here. */
export const EmergencyStopView = z.object({
  epoch: UInt64,
  active: z.boolean(),
  scopes: z.array(StopScopeData).default([]),
});
export type EmergencyStopView = z.infer<typeof EmergencyStopView>;
