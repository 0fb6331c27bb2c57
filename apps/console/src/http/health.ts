import type { ConsoleApp, ConsoleDeps } from "./context.ts";
export function registerHealth(_app: ConsoleApp, _deps: ConsoleDeps): void {}
