// Polls a MetricSource (the Prometheus adapter) for every deployment the monitor still watches and
// publishes each sample as the monitor's own signal event (warden.signal.error_rate|latency.<id>),
// which comes back through the stream like any other signal: the analysis, the restart rebuild and
// the de-duplication treat polled and pushed samples alike.
//
// Fails closed: a query that fails (unreachable, error status, malformed answer) or returns no data
// publishes nothing and is reported (`onProblem`); the analysis then sees missing samples, which are
// inconclusive and escalate — never a made-up value and never a rollback by itself.
import type { SignalKindName } from "../domain/analysis.ts";
import { MetricSourceError } from "./ports.ts";
import type { Clock, MetricSource, MetricSourceFailure, SignalPublisher } from "./ports.ts";

export type PolledKind = Extract<SignalKindName, "error_rate" | "latency">;
export const POLLED_KINDS: readonly PolledKind[] = ["error_rate", "latency"];

export interface WatchedDeployment {
  deploymentId: string;
  service: string;
}

export interface PollProblem {
  deploymentId: string;
  kind: PolledKind;
  reason: MetricSourceFailure | "no_data" | "publish_failed";
  detail: string;
}

export interface PollResult {
  published: number;
  problems: PollProblem[];
}

export interface MetricPollerDeps {
  source: MetricSource;
  signals: SignalPublisher;
  /** The deployments whose analysis is still open (no rollback yet, window not closed). */
  watched: () => WatchedDeployment[];
  clock: Clock;
  onProblem?: (problem: PollProblem) => void;
  /** Queries in flight at once (each sample is two instant queries). Default 8. */
  concurrency?: number;
}

export function createMetricPoller(deps: MetricPollerDeps) {
  const concurrency = Math.max(1, deps.concurrency ?? 8);

  async function pollOne(
    d: WatchedDeployment,
    kind: PolledKind,
    at: number,
  ): Promise<PollProblem | undefined> {
    let sample;
    try {
      sample = await deps.source.sample({ deploymentId: d.deploymentId, service: d.service, kind }, at);
    } catch (err) {
      const reason = err instanceof MetricSourceError ? err.reason : "invalid";
      return { deploymentId: d.deploymentId, kind, reason, detail: (err as Error).message };
    }
    if (sample === undefined) {
      return { deploymentId: d.deploymentId, kind, reason: "no_data", detail: `no ${kind} series` };
    }
    try {
      await deps.signals.publish(d.deploymentId, sample);
    } catch (err) {
      return { deploymentId: d.deploymentId, kind, reason: "publish_failed", detail: (err as Error).message };
    }
    return undefined;
  }

  return {
    /** One round: every watched deployment × error rate and latency, evaluated at the clock's now. */
    async pollOnce(): Promise<PollResult> {
      const at = deps.clock.now();
      const jobs = deps.watched().flatMap((d) => POLLED_KINDS.map((kind) => ({ d, kind })));
      const problems: PollProblem[] = [];
      let published = 0;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < jobs.length) {
          const job = jobs[next++] as (typeof jobs)[number];
          const problem = await pollOne(job.d, job.kind, at);
          if (problem === undefined) {
            published++;
          } else {
            problems.push(problem);
            deps.onProblem?.(problem);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
      return { published, problems };
    },
  };
}

export type MetricPoller = ReturnType<typeof createMetricPoller>;
