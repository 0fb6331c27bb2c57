// @warden/console: the ops console's backend-for-frontend.
export { startConsole, OidcNotImplementedError } from "./start-console.ts";
export type { RunningConsole } from "./start-console.ts";
export { loadConfig } from "./config.ts";
export type { ConsoleConfig } from "./config.ts";
export { createConsoleApp } from "./http/app.ts";
export type { Backends } from "./backends.ts";
