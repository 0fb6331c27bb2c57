import { randomBytes } from "node:crypto";

/**
 * A name no other test file or run will use, for streams, databases and task queues:
 * `prefix-<pid>-<random>`, using only [A-Za-z0-9_-] (valid for all three).
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`;
}
