// CPU time of a process by pid, from /proc (Linux): user + system seconds, or undefined where
// /proc is not available or the process is gone. On a shared machine, CPU time per operation
// varies far less with other load than wall-clock rates do.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux for decades). */
const TICKS_PER_SECOND = 100;

export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds used by each pid since the call, read by the returned function. */
export function cpuMeter(pids: Record<string, number | undefined>): () => Record<string, number | undefined> {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
  return () =>
    Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => {
        const now = processCpuSeconds(pid);
        const then = start[k];
        return [k, now === undefined || then === undefined ? undefined : now - then];
      }),
    );
}

/** CPU µs per operation of each pid over `run` (which reports how many operations it did). */
export async function cpuPerOp<T>(
  pids: Record<string, number | undefined>,
  run: () => Promise<{ result: T; ops: number }>,
): Promise<{ result: T; cpuUsPerOp: Record<string, number | undefined> }> {
  const read = cpuMeter(pids);
  const { result, ops } = await run();
  const cpuUsPerOp = Object.fromEntries(
    Object.entries(read()).map(([k, s]) => [k, s === undefined ? undefined : (s * 1e6) / ops]),
  );
  return { result, cpuUsPerOp };
}

/** "client 31 µs, policy 104 µs, …", leaving out processes whose CPU time is unknown. */
export function formatCpuPerOp(cpu: Record<string, number | undefined>): string {
  return Object.entries(cpu)
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .map(([name, us]) => `${name} ${us.toFixed(0)} µs`)
    .join(", ");
}
