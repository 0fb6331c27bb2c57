// @warden/kill-switch: the emergency stop (DESIGN.md §6). Public surface for other packages and apps.
export { createKillSwitchService, DEFAULT_ACTIVATION_ROLES } from "./app/kill-switch-service.ts";
export type { KillSwitchService } from "./app/kill-switch-service.ts";
export { startKillSwitchService } from "./start-kill-switch-service.ts";
export type { RunningKillSwitchService } from "./start-kill-switch-service.ts";
export { loadConfig } from "./config.ts";
export type { KillSwitchConfig } from "./config.ts";
export { parseScope, describeScope, scopeKey } from "./domain/scope.ts";
export type { Scope } from "./domain/scope.ts";
export { slackSignature } from "./domain/slack-signature.ts";
