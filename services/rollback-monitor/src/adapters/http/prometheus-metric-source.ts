// MetricSource over the Prometheus HTTP API (`GET /api/v1/query`): one instant query for the
// deployment's value and one for its baseline, `{service}` and `{deployment}` substituted. An empty
// result is no sample (missing data: the analysis judges it inconclusive, never a rollback). An
// unreachable server, an error status, a body that is not an instant vector, more than one series
// or a value that is not a finite number is a MetricSourceError naming the query: no value is made up.
import { z } from "zod";
import { MetricSourceError } from "../../app/ports.ts";
import type { MetricSource } from "../../app/ports.ts";

const vectorResponse = z.object({
  status: z.literal("success"),
  data: z.object({
    resultType: z.literal("vector"),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()).optional(),
        value: z.tuple([z.number(), z.string()]),
      }),
    ),
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
    let response: Response;
    try {
      response = await fetch(u, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
    } catch (err) {
      throw new MetricSourceError("unreachable", `prometheus at ${options.url} did not answer ${query}`, {
        cause: err,
      });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new MetricSourceError("error_status", `prometheus answered ${response.status} for ${query}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (err) {
      throw new MetricSourceError("invalid", `prometheus answered a body that is not JSON for ${query}`, {
        cause: err,
      });
    }
    const parsed = vectorResponse.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MetricSourceError(
        "invalid",
        `prometheus answered an unexpected body for ${query}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim(),
      );
    }
    const result = parsed.data.data.result;
    if (result.length === 0) return undefined;
    if (result.length > 1) {
      throw new MetricSourceError(
        "invalid",
        `prometheus answered ${result.length} series for ${query}; the query must select one`,
      );
    }
    const value = Number((result[0] as (typeof result)[number]).value[1]);
    if (!Number.isFinite(value)) {
      throw new MetricSourceError(
        "invalid",
        `prometheus answered a value that is not a finite number for ${query}`,
      );
    }
    return value;
  }
  // Substituted inside PromQL string literals: quotes and backslashes escaped, so an id cannot
  // change the query.
  const literal = (v: string): string => v.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
  const fill = (template: string, q: { deploymentId: string; service: string }): string =>
    template.replaceAll("{service}", literal(q.service)).replaceAll("{deployment}", literal(q.deploymentId));

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
