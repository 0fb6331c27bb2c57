// CPU time of a process from /proc/<pid>/stat (utime + stime, in clock ticks of 10 ms on Linux), so
// a benchmark can say which process saturates: the client, the service or the NATS server.
import { readFileSync } from "node:fs";

const TICK_MS = 10;

/** User + system CPU milliseconds used so far by `pid`; NaN where /proc is not available. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

/** CPU µs per operation for each named pid over `run`, and the run's result. */
export async function cpuPerOp<T>(
  pids: Record<string, number>,
  run: () => Promise<{ result: T; ops: number }>,
): Promise<{ result: T; cpuUsPerOp: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const { result, ops } = await run();
  const cpuUsPerOp = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, ((cpuMs(pid) - (before[name] ?? 0)) * 1_000) / ops]),
  );
  return { result, cpuUsPerOp };
}

export function formatCpu(cpu: Record<string, number>): string {
  return Object.entries(cpu)
    .filter(([, us]) => Number.isFinite(us))
    .map(([name, us]) => `${name} ${us.toFixed(0)} µs`)
    .join(", ");
}
