import type { ConsoleApp, ConsoleDeps } from "./context.ts";
export function registerAudit(_app: ConsoleApp, _deps: ConsoleDeps): void {}
