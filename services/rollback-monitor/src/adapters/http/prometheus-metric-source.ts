// MetricSource over the Prometheus HTTP API (`GET /api/v1/query`): one instant query for the
// deployment's value and one for its baseline, `{service}` and `{deployment}` substituted. An empty
// result is no sample (missing data: the analysis judges it inconclusive, never a rollback).
import { z } from "zod";
import type { MetricSource } from "../../app/ports.ts";

const vectorResponse = z.object({
  status: z.literal("success"),
  data: z.object({
    resultType: z.literal("vector"),
    result: z.array(z.object({ value: z.tuple([z.number(), z.string()]) })),
  }),
});

export interface PrometheusQueries {
  value: string;
  baseline: string;
}

export function prometheusMetricSource(options: {
  url: string;
  queries: { error_rate: PrometheusQueries; latency: PrometheusQueries };
  timeoutMs?: number;
}): MetricSource {
  async function instant(query: string, at: number): Promise<number | undefined> {
    const u = new URL("/api/v1/query", options.url);
    u.searchParams.set("query", query);
    u.searchParams.set("time", (at / 1_000).toFixed(3));
    const response = await fetch(u, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`prometheus answered ${response.status} for ${query}`);
    }
    const parsed = vectorResponse.safeParse(await response.json());
    if (!parsed.success)
      throw new Error(`prometheus answered an unexpected body for ${query}: ${parsed.error.message}`);
    const first = parsed.data.data.result[0];
    if (first === undefined) return undefined;
    const value = Number(first.value[1]);
    return Number.isFinite(value) ? value : undefined;
  }
  const fill = (template: string, q: { deploymentId: string; service: string }): string =>
    template.replaceAll("{service}", q.service).replaceAll("{deployment}", q.deploymentId);

  return {
    async sample(query, at) {
      const qs = options.queries[query.kind];
      const [value, baseline] = await Promise.all([
        instant(fill(qs.value, query), at),
        instant(fill(qs.baseline, query), at),
      ]);
      if (value === undefined) return undefined;
      return {
        id: `prometheus:${query.kind}:${query.deploymentId}:${at}`,
        kind: query.kind,
        value,
        baseline,
        source: "prometheus",
        observedAt: at,
        receivedAt: at,
      };
    },
  };
}
