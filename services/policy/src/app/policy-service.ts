// Use cases of the policy service: decide, explain, report the bundle, reload it. The active bundle
// and its evaluator are swapped together in one assignment, so a request sees one bundle or the
// other, never a mix; an invalid bundle is refused and the last good one stays active.
import type { ActionRequest } from "../domain/action-request.ts";
import { BundleError } from "../domain/bundle-error.ts";
import type { BundleIssue } from "../domain/bundle-error.ts";
import type { Decision } from "../domain/decision.ts";
import type { StopState } from "../domain/stop-state.ts";
import { createEvaluator } from "../domain/evaluator.ts";
import type { Evaluator, Explanation } from "../domain/evaluator.ts";
import { compileBundle } from "../domain/compile-bundle.ts";
import { limitedAgentIds } from "../domain/bundle.ts";
import type { BundleSource } from "./bundle-source.ts";
import type { BundleEvents, DecisionSink, RequestOrigin, StopStateReader, UsageView } from "./ports.ts";

export interface BundleStatus {
  readonly digest: string;
  readonly name: string;
  readonly source: string;
  readonly loadedAt: Date;
  readonly ruleCount: number;
  readonly agentCount: number;
  readonly workflowCount: number;
  /** Agents with a rate limit or a daily budget, whose usage is counted (sorted). */
  readonly limitedAgents: readonly string[];
}

export type ReloadResult =
  | { readonly kind: "activated"; readonly digest: string }
  | { readonly kind: "unchanged"; readonly digest: string }
  | { readonly kind: "rejected"; readonly issues: readonly BundleIssue[] };

export interface Decided {
  readonly decision: Decision;
  /** The emergency-stop state the decision was made under (its epoch binds approvals). */
  readonly stop: StopState;
}

export interface PolicyService {
  /**
   * Decides and records the decision (DecisionSink) before returning it. A dry run
   * (`origin.dryRunBy`) is recorded as one and not counted toward the agent's usage.
   */
  decide(request: ActionRequest, origin: RequestOrigin): Promise<Decided>;
  /** Which rules matched and why, and which did not and why; recorded like any decision. */
  explain(request: ActionRequest, origin: RequestOrigin): Explanation;
  status(): BundleStatus;
  /** Re-reads the source; swaps in a valid changed bundle, refuses an invalid one. */
  reload(): Promise<ReloadResult>;
}

export interface PolicyServiceDeps {
  readonly source: BundleSource;
  readonly stopState: StopStateReader;
  readonly decisions: DecisionSink;
  readonly usage: UsageView;
  readonly bundleEvents: BundleEvents;
  readonly clock?: () => number;
}

interface Active {
  readonly evaluator: Evaluator;
  readonly status: BundleStatus;
}

function issuesOf(err: unknown, origin: string): readonly BundleIssue[] {
  if (err instanceof BundleError) return err.issues;
  return [{ file: origin, line: 0, col: 0, field: "", reason: (err as Error).message }];
}

/**
 * Loads the bundle and returns the service; refuses to start (throws BundleError listing every
 * problem) without a valid bundle.
 */
export async function createPolicyService(deps: PolicyServiceDeps): Promise<PolicyService> {
  const clock = deps.clock ?? Date.now;

  async function compileFromSource(): Promise<Active> {
    const { policyFiles } = await deps.source.read();
    const bundle = compileBundle(policyFiles);
    return {
      evaluator: createEvaluator(bundle, { clock }),
      status: {
        digest: bundle.digest,
        name: bundle.name,
        source: deps.source.origin,
        loadedAt: new Date(clock()),
        ruleCount: bundle.rules.length,
        agentCount: bundle.agents.size,
        workflowCount: bundle.workflows.size,
        limitedAgents: limitedAgentIds(bundle),
      },
    };
  }

  let active = await compileFromSource();
  deps.usage.track(active.status.limitedAgents);
  await deps.bundleEvents.activated({
    digest: active.status.digest,
    previousDigest: undefined,
    source: deps.source.origin,
    ruleCount: active.status.ruleCount,
    at: active.status.loadedAt,
  });

  return {
    async decide(request, origin) {
      const stop = deps.stopState.current();
      const { evaluator } = active;
      const agentId = origin.authenticatedAgentId;
      const now = clock();
      const usage = deps.usage.current(agentId, evaluator.bundle.agents.get(agentId)?.currency, now);
      const decision = evaluator.evaluate(request, {
        authenticatedAgentId: agentId,
        stopState: stop,
        usage,
        now,
      });
      // Counted before the first await: concurrent decisions of this replica see each other. A dry
      // run (someone else asked) is never counted (ADR 0009).
      if (origin.dryRunBy === undefined) deps.usage.decided(decision, request, origin);
      await deps.decisions.decided(decision, request, origin, stop);
      return { decision, stop };
    },

    explain(request, origin) {
      const { evaluator } = active;
      const agentId = origin.authenticatedAgentId;
      const now = clock();
      return evaluator.explain(request, {
        authenticatedAgentId: agentId,
        stopState: deps.stopState.current(),
        usage: deps.usage.current(agentId, evaluator.bundle.agents.get(agentId)?.currency, now),
        now,
      });
    },

    status: () => active.status,

    async reload() {
      const previous = active;
      let next: Active;
      try {
        next = await compileFromSource();
      } catch (err) {
        const issues = issuesOf(err, deps.source.origin);
        await deps.bundleEvents.rejected({
          digest: undefined,
          activeDigest: previous.status.digest,
          source: deps.source.origin,
          issues,
          at: new Date(clock()),
        });
        return { kind: "rejected", issues };
      }
      if (next.status.digest === previous.status.digest)
        return { kind: "unchanged", digest: previous.status.digest };
      // Same tick as the swap: no decision sees the new limits before the view knows of them.
      deps.usage.track(next.status.limitedAgents);
      active = next;
      await deps.bundleEvents.activated({
        digest: next.status.digest,
        previousDigest: previous.status.digest,
        source: deps.source.origin,
        ruleCount: next.status.ruleCount,
        at: next.status.loadedAt,
      });
      return { kind: "activated", digest: next.status.digest };
    },
  };
}
