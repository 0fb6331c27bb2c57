// The metric poller over fakes: every watched deployment × error rate and latency; failures and
// missing data publish nothing and are reported.
import { describe, expect, it } from "vitest";
import type { Observation } from "../domain/analysis.ts";
import { createMetricPoller } from "./metric-poller.ts";
import type { PollProblem } from "./metric-poller.ts";
import { MetricSourceError } from "./ports.ts";
import type { MetricSource } from "./ports.ts";

const at = Date.parse("2026-12-03T10:05:00Z");

function setup(source: MetricSource, watched = [{ deploymentId: "d1", service: "checkout" }]) {
  const published: { deploymentId: string; o: Observation }[] = [];
  const reported: PollProblem[] = [];
  const poller = createMetricPoller({
    source,
    signals: {
      publish: (deploymentId, o) => {
        published.push({ deploymentId, o });
        return Promise.resolve();
      },
    },
    watched: () => watched,
    clock: { now: () => at },
    onProblem: (p) => reported.push(p),
    concurrency: 2,
  });
  return { poller, published, reported };
}

const sample = (kind: "error_rate" | "latency", deploymentId: string): Observation => ({
  id: `${kind}:${deploymentId}`,
  kind,
  value: 1,
  baseline: 1,
  source: "prometheus",
  observedAt: at,
  receivedAt: at,
});

describe("metric poller", () => {
  it("publishes error rate and latency for every watched deployment at the clock's time", async () => {
    const asked: string[] = [];
    const { poller, published, reported } = setup(
      {
        sample: (q, when) => {
          asked.push(`${q.deploymentId}/${q.kind}@${when}`);
          return Promise.resolve(sample(q.kind, q.deploymentId));
        },
      },
      [
        { deploymentId: "d1", service: "checkout" },
        { deploymentId: "d2", service: "cart" },
        { deploymentId: "d3", service: "cart" },
      ],
    );
    expect(await poller.pollOnce()).toEqual({ published: 6, problems: [] });
    expect(asked.sort()).toEqual(
      ["d1", "d2", "d3"].flatMap((d) => [`${d}/error_rate@${at}`, `${d}/latency@${at}`]).sort(),
    );
    expect(published.map((p) => p.deploymentId).sort()).toEqual(["d1", "d1", "d2", "d2", "d3", "d3"]);
    expect(reported).toEqual([]);
  });

  it("fails closed: an unreachable source, a malformed answer or no data publish nothing and are reported", async () => {
    const { poller, published, reported } = setup({
      sample: (q) =>
        q.kind === "error_rate"
          ? Promise.reject(new MetricSourceError("unreachable", "prometheus did not answer"))
          : Promise.resolve(undefined),
    });
    const result = await poller.pollOnce();
    expect(result.published).toBe(0);
    expect(published).toEqual([]);
    expect(reported.map((p) => [p.kind, p.reason]).sort()).toEqual([
      ["error_rate", "unreachable"],
      ["latency", "no_data"],
    ]);
    expect(result.problems).toEqual(reported);
  });

  it("an unexpected error is reported as invalid, a failed publish as publish_failed", async () => {
    const { poller, reported } = setup({
      sample: (q) =>
        q.kind === "error_rate" ? Promise.reject(new Error("boom")) : Promise.resolve(sample(q.kind, "d1")),
    });
    const failing = createMetricPoller({
      source: { sample: (q) => Promise.resolve(sample(q.kind, "d1")) },
      signals: { publish: () => Promise.reject(new Error("nats down")) },
      watched: () => [{ deploymentId: "d1", service: "checkout" }],
      clock: { now: () => at },
    });
    expect((await poller.pollOnce()).published).toBe(1);
    expect(reported).toMatchObject([{ kind: "error_rate", reason: "invalid", detail: "boom" }]);
    expect((await failing.pollOnce()).problems.map((p) => p.reason)).toEqual([
      "publish_failed",
      "publish_failed",
    ]);
  });
});
