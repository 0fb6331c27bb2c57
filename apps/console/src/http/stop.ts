import type { ConsoleApp, ConsoleDeps } from "./context.ts";
export function registerStop(_app: ConsoleApp, _deps: ConsoleDeps): void {}
