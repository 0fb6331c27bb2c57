/** Where a command writes and reads: the process in main.ts, buffers in tests. */
export interface CliIo {
  /** Results (reports, explanations, JSON). */
  readonly out: (text: string) => void;
  /** Problems and diagnostics. */
  readonly err: (text: string) => void;
  /** All of standard input (`--request -`). */
  readonly readStdin: () => Promise<string>;
}
