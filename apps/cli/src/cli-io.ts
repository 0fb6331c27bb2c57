import type { CliEnv } from "./config.ts";

/** Where a command writes and reads: the process in main.ts, buffers in tests. */
export interface CliIo {
  /** Results (reports, explanations, JSON). */
  readonly out: (text: string) => void;
  /** Problems and diagnostics. */
  readonly err: (text: string) => void;
  /** All of standard input (`--request -`). */
  readonly readStdin: () => Promise<string>;
  /** Configuration from the environment (config.ts); empty in tests unless given. */
  readonly env?: CliEnv;
  /**
   * Where progress bars go: the process's stderr when it is a terminal, else undefined (no bar:
   * pipes and CI logs get no control characters).
   */
  readonly progress?: NodeJS.WritableStream;
  /** Aborted on Ctrl-C: streams (`audit tail`, `audit export`) end cleanly. */
  readonly signal?: AbortSignal;
}
