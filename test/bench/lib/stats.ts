// Tiny latency helpers for the benchmarks: time every call with process.hrtime.bigint, keep the
// samples in a typed array, report percentiles. (No benchmark library is installed; this is all
// that is needed.)

export interface Summary {
  readonly count: number;
  readonly meanNs: number;
  readonly minNs: number;
  readonly p50Ns: number;
  readonly p90Ns: number;
  readonly p99Ns: number;
  readonly p999Ns: number;
  readonly maxNs: number;
}

/** Nearest-rank percentile over ascending samples. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function summarize(samples: Float64Array): Summary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    count: sorted.length,
    meanNs: sum / sorted.length,
    minNs: sorted[0] ?? Number.NaN,
    p50Ns: percentile(sorted, 50),
    p90Ns: percentile(sorted, 90),
    p99Ns: percentile(sorted, 99),
    p999Ns: percentile(sorted, 99.9),
    maxNs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Runs `fn(i)` `warmup` times untimed, then `iterations` times, timing each call (ns). */
export function sample(
  fn: (i: number) => unknown,
  options: { warmup: number; iterations: number },
): Float64Array {
  let sink: unknown;
  for (let i = 0; i < options.warmup; i++) sink = fn(i);
  const samples = new Float64Array(options.iterations);
  for (let i = 0; i < options.iterations; i++) {
    const t0 = process.hrtime.bigint();
    sink = fn(i);
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  if (sink === Symbol.for("never")) console.log(sink); // keep the result alive
  return samples;
}

/** Cost of the timing itself (an empty call), to read the numbers against. */
export function timerOverhead(): Summary {
  return summarize(sample(() => undefined, { warmup: 10_000, iterations: 200_000 }));
}

export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return "n/a";
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}

/** Like {@link sample}, for async calls made one after another. */
export async function sampleAsync(
  fn: (i: number) => Promise<unknown>,
  options: { warmup: number; iterations: number },
): Promise<Float64Array> {
  for (let i = 0; i < options.warmup; i++) await fn(i);
  const samples = new Float64Array(options.iterations);
  for (let i = 0; i < options.iterations; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  return samples;
}

/** `label  p50 … µs  p99 … µs` on one line, with an optional ratio against a peer. */
export function line(label: string, s: Summary, peer?: Summary): string {
  const us = (ns: number) => (ns / 1_000).toFixed(ns < 10_000 ? 2 : 1).padStart(8);
  const ratio =
    peer === undefined
      ? ""
      : `   ×${(s.p50Ns / peer.p50Ns).toFixed(2)} p50 / ×${(s.p99Ns / peer.p99Ns).toFixed(2)} p99 vs peer`;
  return `${label.padEnd(44)} p50 ${us(s.p50Ns)} µs  p99 ${us(s.p99Ns)} µs  (n=${s.count})${ratio}`;
}
