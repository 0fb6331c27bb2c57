// Rendering shared by the service commands: one JSON document, tables (cli-table3), short labels
// for proto enums and actors, and a progress bar (cli-progress) on a terminal's stderr only.
import { SingleBar } from "cli-progress";
import Table from "cli-table3";
import type { CliIo } from "./cli-io.ts";

/** Prints the command's one JSON document on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain table (no colours, so pipes and logs stay clean). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const t = new Table({ head: [...head], style: { head: [], border: [] }, wordWrap: true });
  for (const row of rows) t.push([...row]);
  return `${t.toString()}\n`;
}

/** Label / value lines, aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join("");
}

/** `APPROVAL_STATUS_PENDING` → `pending` (drops the enum's prefix, lower case). */
export function enumLabel(value: string | undefined, prefix: string): string {
  if (value === undefined || value === `${prefix}UNSPECIFIED`) return "—";
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase().replaceAll("_", "-") : value;
}

export const when = (date: Date | undefined): string => (date === undefined ? "—" : date.toISOString());

/** `alice (human)`. */
export function actorLabel(actor: { id: string; type: string } | undefined): string {
  if (actor === undefined || actor.id === "") return "—";
  return `${actor.id} (${enumLabel(actor.type, "ACTOR_TYPE_")})`;
}

export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

/**
 * A progress bar on the terminal's stderr (`io.progress`), or nothing when stderr is not a
 * terminal. `format` uses cli-progress tokens ({value}, {total}, {bar}, {duration}, …).
 */
export function startProgress(io: CliIo, format: string, total = 0): Progress {
  if (io.progress === undefined) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    stream: io.progress,
    format,
    hideCursor: true,
    clearOnComplete: true,
    fps: 10,
  });
  bar.start(total, 0);
  return {
    update: (value, payload) => bar.update(value, payload),
    stop: () => bar.stop(),
  };
}
