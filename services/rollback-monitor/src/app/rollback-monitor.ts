// The rollback monitor's use cases: apply deployment and signal events to per-deployment analysis
// state, act on new findings (start a rollback workflow, escalate to humans, report a dry run),
// judge missing data on the clock, answer status queries and manual rollbacks.
//
// Acting is idempotent: the workflow id is the deployment's, every published fact has a
// deterministic id, and the monitor's own events, replayed from the stream after a restart, mark
// which findings were acted on. So a rebuilt state acts exactly on what the crashed one had not.
import { createHash } from "node:crypto";
import {
  evaluate,
  latestSignals,
  observe,
  openAnalysis,
  phaseOf,
  rollbackStrategy,
  windowEndsAt,
} from "../domain/analysis.ts";
import type {
  AnalysisState,
  Deployment,
  EnvironmentName,
  Finding,
  Observation,
  PhaseName,
} from "../domain/analysis.ts";
import type { RollbackPolicy } from "../domain/rollback-policy.ts";
import { rollbackWorkflowId } from "../domain/rollback-request.ts";
import type { RequestedBy, RollbackRequest, RollbackResultName } from "../domain/rollback-request.ts";
import type { Clock, EscalationRequests, RollbackEventSink, RollbackWorkflows } from "./ports.ts";

export const MONITOR_AGENT_ID = "rollback-monitor";
/** The action the monitor asks humans to decide (governance/rules.yaml routes it to approval). */
export const ESCALATION_ACTION = "rollback.decide";

/** What the monitor consumes, decoded by the transport. */
export type MonitorInput =
  | { type: "deployment_started"; deployment: Deployment }
  | { type: "deployment_completed"; deploymentId: string; succeeded: boolean; completedAt: number }
  | { type: "signal"; deploymentId: string; observation: Observation }
  /** One of the monitor's own events, replayed: the fact with this id was already published. */
  | {
      type: "own_event";
      deploymentId: string;
      eventId: string;
      workflowId?: string | undefined;
      trigger?: string | undefined;
      /** Event time the rollback was triggered (a triggered event). */
      since?: number | undefined;
      result?: RollbackResultName | undefined;
    };

export type HandleOutcome = "applied" | "duplicate" | "unknown_deployment";

export interface StatusView {
  state: AnalysisState;
  phase: PhaseName;
  windowEndsAt: number;
  latest: Observation[];
}

export class DeploymentNotFoundError extends Error {
  readonly deploymentId: string;
  constructor(deploymentId: string) {
    super(`deployment ${deploymentId} is unknown to the rollback monitor`);
    this.name = "DeploymentNotFoundError";
    this.deploymentId = deploymentId;
  }
}

export class ManualRollbackRefusedError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = "ManualRollbackRefusedError";
    this.field = field;
  }
}

export interface RollbackMonitorDeps {
  policy: () => RollbackPolicy;
  events: RollbackEventSink;
  workflows: RollbackWorkflows;
  escalations: EscalationRequests;
  clock: Clock;
  /** Called for every finding, acted on or not (metrics, logs). */
  onFinding?: (finding: Finding, deployment: Deployment) => void;
}

export type RollbackMonitor = ReturnType<typeof createRollbackMonitor>;

const ENV_TO_WIRE = {
  development: "ENVIRONMENT_DEVELOPMENT",
  staging: "ENVIRONMENT_STAGING",
  production: "ENVIRONMENT_PRODUCTION",
} as const;

const KIND_TO_WIRE = {
  health: "SIGNAL_KIND_HEALTH",
  error_rate: "SIGNAL_KIND_ERROR_RATE",
  latency: "SIGNAL_KIND_LATENCY",
  security_scan: "SIGNAL_KIND_SECURITY_SCAN",
  confidence: "SIGNAL_KIND_CONFIDENCE",
} as const;

export function environmentToWire(env: EnvironmentName) {
  return env === "unspecified" ? undefined : ENV_TO_WIRE[env];
}

/** A deterministic event id for one fact about one deployment (≤ 128 chars, any deployment id). */
export function factId(kind: string, deploymentId: string, ...parts: string[]): string {
  const digest = createHash("sha256")
    .update([deploymentId, ...parts].join("\u0000"))
    .digest("hex")
    .slice(0, 40);
  return `rollback-monitor.${kind}.${digest}`;
}

export function createRollbackMonitor(deps: RollbackMonitorDeps) {
  const states = new Map<string, AnalysisState>();

  function stateOf(deploymentId: string): AnalysisState | undefined {
    return states.get(deploymentId);
  }

  function rollbackRequest(
    state: AnalysisState,
    finding: Finding,
    requestedBy?: RequestedBy,
  ): RollbackRequest {
    const policy = deps.policy();
    const d = state.deployment;
    return {
      deploymentId: d.deploymentId,
      actionId: d.actionId,
      agentId: d.agentId,
      service: d.service,
      environment: d.environment,
      fromVersion: d.version,
      toVersion: d.previousVersion,
      rolloutStrategy: d.strategy,
      strategy: rollbackStrategy(policy, d.strategy),
      trigger: finding.trigger,
      reason: finding.reason,
      requestedBy,
      triggeredAt: new Date(finding.at).toISOString(),
      verificationTimeoutMs: policy.verification.timeout,
      healthChecksRequired: policy.verification.healthChecks,
      reviewDueMs: policy.incident.reviewDue,
      severity: policy.incident.severity,
      escalationRoles: policy.escalationRoles,
    };
  }

  function triggeredData(
    state: AnalysisState,
    finding: Finding,
    request: RollbackRequest,
    workflowId: string,
  ) {
    const d = state.deployment;
    return {
      deploymentId: d.deploymentId,
      ...(d.actionId !== undefined && { actionId: d.actionId }),
      service: d.service,
      ...(environmentToWire(d.environment) !== undefined && {
        environment: environmentToWire(d.environment),
      }),
      trigger: finding.trigger,
      ...(finding.kind !== "manual" && { signalKind: KIND_TO_WIRE[finding.kind] }),
      ...(finding.observed !== undefined && { observed: finding.observed }),
      ...(finding.baseline !== undefined && { baseline: finding.baseline }),
      ...(finding.threshold !== undefined && { threshold: finding.threshold }),
      reason: finding.reason,
      strategy: request.strategy,
      fromVersion: request.fromVersion,
      ...(request.toVersion !== undefined && { toVersion: request.toVersion }),
      workflowId,
      ...(request.requestedBy !== undefined && {
        requestedBy: {
          type: (
            {
              human: "ACTOR_TYPE_HUMAN",
              ai_agent: "ACTOR_TYPE_AI_AGENT",
              service: "ACTOR_TYPE_SERVICE",
            } as const
          )[request.requestedBy.type],
          id: request.requestedBy.id,
          roles: request.requestedBy.roles,
        },
      }),
      triggeredAt: request.triggeredAt,
    };
  }

  /** Publishes the ActionRequest ("roll back or keep?") and the Escalated event for one finding. */
  async function escalate(state: AnalysisState, trigger: string, reason: string, key: string): Promise<void> {
    const d = state.deployment;
    const policy = deps.policy();
    const escalationActionId = factId("decide", d.deploymentId, trigger, key);
    await deps.escalations.request({
      actionId: escalationActionId,
      agentId: MONITOR_AGENT_ID,
      action: ESCALATION_ACTION,
      ...(environmentToWire(d.environment) !== undefined && {
        environment: environmentToWire(d.environment),
      }),
      target: d.service,
      service: d.service,
      reason: `${trigger}: ${reason}`,
      arguments: {
        deploymentId: d.deploymentId,
        trigger,
        version: d.version,
        ...(d.previousVersion !== undefined && { previousVersion: d.previousVersion }),
        ...(d.actionId !== undefined && { deploymentActionId: d.actionId }),
      },
      requestedAt: new Date(deps.clock.now()).toISOString(),
    });
    const eventId = factId("escalated", d.deploymentId, trigger, key);
    await deps.events.publish({
      type: "escalated",
      id: eventId,
      actionId: escalationActionId,
      data: {
        deploymentId: d.deploymentId,
        ...(d.actionId !== undefined && { actionId: d.actionId }),
        service: d.service,
        trigger,
        reason,
        roles: policy.escalationRoles,
        escalationActionId,
        escalatedAt: new Date(deps.clock.now()).toISOString(),
      },
    });
    state.acted.add(eventId);
  }

  async function startRollback(state: AnalysisState, finding: Finding, requestedBy?: RequestedBy) {
    const request = rollbackRequest(state, finding, requestedBy);
    const result = await deps.workflows.start(request);
    state.rollback ??= { workflowId: result.workflowId, trigger: finding.trigger, since: finding.at };
    const eventId = factId("triggered", state.deployment.deploymentId, finding.trigger);
    await deps.events.publish({
      type: "triggered",
      id: eventId,
      actionId: state.deployment.actionId,
      data: triggeredData(state, finding, request, result.workflowId),
    });
    state.acted.add(eventId);
    return result;
  }

  function findingKey(f: Finding): string {
    return `${f.trigger}:${f.verdict}`;
  }

  /** Acts on every finding of the state not acted on yet. */
  async function act(state: AnalysisState): Promise<void> {
    for (const f of state.findings) {
      const d = state.deployment;
      if (f.dryRun) {
        const id = factId("dry_run", d.deploymentId, findingKey(f));
        if (state.acted.has(id)) continue;
        const request = rollbackRequest(state, f);
        await deps.events.publish({
          type: "dry_run",
          id,
          actionId: d.actionId,
          data: { ...triggeredData(state, f, request, ""), reason: `dry run (${f.verdict}): ${f.reason}` },
        });
        state.acted.add(id);
        continue;
      }
      if (f.verdict === "fired" && f.action === "rollback") {
        if (state.acted.has(factId("triggered", d.deploymentId, f.trigger))) continue;
        await startRollback(state, f);
        continue;
      }
      if (state.acted.has(factId("escalated", d.deploymentId, f.trigger, findingKey(f)))) continue;
      await escalate(
        state,
        f.trigger,
        `${f.verdict === "inconclusive" ? "inconclusive: " : ""}${f.reason}`,
        findingKey(f),
      );
    }
  }

  function record(state: AnalysisState, found: Finding[]): void {
    for (const f of found) deps.onFinding?.(f, state.deployment);
  }

  function status(deploymentId: string): StatusView | undefined {
    const state = stateOf(deploymentId);
    if (state === undefined) return undefined;
    const policy = deps.policy();
    return {
      state,
      phase: phaseOf(state, policy, deps.clock.now()),
      windowEndsAt: windowEndsAt(state, policy),
      latest: latestSignals(state),
    };
  }

  return {
    status,
    /**
     * Applies one input. With `act`, new findings are acted on and health checks are forwarded to a
     * running rollback; without (replaying the stream after a restart), the state is only rebuilt —
     * `reconcile()` acts afterwards on what was left undone.
     */
    async handle(input: MonitorInput, options: { act: boolean; receivedAt: number }): Promise<HandleOutcome> {
      const policy = deps.policy();
      if (input.type === "deployment_started") {
        if (states.has(input.deployment.deploymentId)) return "duplicate";
        const state = openAnalysis(input.deployment);
        states.set(input.deployment.deploymentId, state);
        if (options.act) {
          record(state, evaluate(state, policy, options.receivedAt));
          await act(state);
        }
        return "applied";
      }
      const state = states.get(input.deploymentId);
      if (state === undefined) return "unknown_deployment";
      switch (input.type) {
        case "deployment_completed":
          if (state.completedAt !== undefined) return "duplicate";
          state.completedAt = input.completedAt;
          state.completedOk = input.succeeded;
          break;
        case "own_event":
          state.acted.add(input.eventId);
          if (input.workflowId !== undefined && input.workflowId !== "" && input.trigger !== undefined) {
            state.rollback ??= {
              workflowId: input.workflowId,
              trigger: input.trigger,
              since: input.since ?? state.deployment.startedAt,
            };
          }
          if (input.result !== undefined) state.result = input.result;
          return "applied";
        case "signal": {
          if (!observe(state, input.observation)) return "duplicate";
          const o = input.observation;
          if (
            options.act &&
            o.kind === "health" &&
            state.rollback !== undefined &&
            state.result === undefined &&
            o.observedAt >= state.rollback.since
          ) {
            await deps.workflows.reportHealth(state.deployment.deploymentId, {
              id: o.id,
              passed: o.passed === true,
              detail: o.detail,
              observedAt: new Date(o.observedAt).toISOString(),
            });
          }
          break;
        }
      }
      const found = evaluate(state, policy, options.receivedAt);
      if (options.act) {
        record(state, found);
        await act(state);
      }
      return "applied";
    },

    /**
     * After a replay: judges every state on the clock and acts on findings not yet acted on, and
     * forwards to running rollbacks the health checks they may have missed.
     */
    async reconcile(): Promise<void> {
      const now = deps.clock.now();
      for (const state of states.values()) {
        record(state, evaluate(state, deps.policy(), now));
        await act(state);
        if (state.rollback !== undefined && state.result === undefined) {
          for (const o of state.observations) {
            if (o.kind !== "health" || o.observedAt < state.rollback.since) continue;
            await deps.workflows.reportHealth(state.deployment.deploymentId, {
              id: o.id,
              passed: o.passed === true,
              detail: o.detail,
              observedAt: new Date(o.observedAt).toISOString(),
            });
          }
        }
      }
    },

    /** Judges missing data on the clock (call every second or so). */
    async tick(): Promise<number> {
      const policy = deps.policy();
      const now = deps.clock.now();
      let found = 0;
      for (const state of states.values()) {
        if (state.rollback !== undefined) continue;
        if (now > windowEndsAt(state, policy) + policy.maxLateness) continue;
        const news = evaluate(state, policy, now);
        found += news.length;
        record(state, news);
        if (news.length > 0) await act(state);
      }
      return found;
    },

    /**
     * A manual rollback by a verified caller holding one of the policy's manual roles (a refusal is
     * published and thrown). Idempotent: a deployment already rolling back returns its workflow.
     */
    async triggerManual(
      deploymentId: string,
      reason: string,
      caller: RequestedBy,
    ): Promise<{ workflowId: string; started: boolean; view: StatusView }> {
      const policy = deps.policy();
      const refuse = async (field: string, message: string): Promise<never> => {
        await deps.events.publish({
          type: "refused",
          id: factId("refused", deploymentId, caller.id, String(deps.clock.now())),
          data: {
            deploymentId,
            operation: "TriggerRollback",
            actor: {
              type: (
                {
                  human: "ACTOR_TYPE_HUMAN",
                  ai_agent: "ACTOR_TYPE_AI_AGENT",
                  service: "ACTOR_TYPE_SERVICE",
                } as const
              )[caller.type],
              id: caller.id,
              roles: caller.roles,
            },
            reason: message,
            refusedAt: new Date(deps.clock.now()).toISOString(),
          },
        });
        throw new ManualRollbackRefusedError(field, message);
      };
      if (!caller.roles.some((r) => policy.manualRoles.includes(r))) {
        return refuse(
          "authorization",
          `${caller.id} holds none of the roles that may roll back manually (${policy.manualRoles.join(", ")})`,
        );
      }
      if (caller.type === "ai_agent")
        return refuse("authorization", "an AI agent may not trigger a manual rollback");
      if (reason.trim() === "") return refuse("reason", "reason is required");
      const state = stateOf(deploymentId);
      if (state === undefined) throw new DeploymentNotFoundError(deploymentId);
      if (state.rollback !== undefined) {
        return {
          workflowId: state.rollback.workflowId,
          started: false,
          view: status(deploymentId) as StatusView,
        };
      }
      const finding: Finding = {
        trigger: "manual",
        kind: "manual",
        verdict: "fired",
        action: "rollback",
        dryRun: false,
        reason: `manual rollback by ${caller.id}: ${reason}`,
        at: deps.clock.now(),
      };
      state.findings.push(finding);
      const result = await startRollback(state, finding, caller);
      return { ...result, view: status(deploymentId) as StatusView };
    },

    /** Drops states whose analysis ended more than `retainMs` ago and have no running rollback. */
    prune(retainMs: number): number {
      const policy = deps.policy();
      const now = deps.clock.now();
      let dropped = 0;
      for (const [id, state] of states) {
        const running = state.rollback !== undefined && state.result === undefined;
        if (!running && now - windowEndsAt(state, policy) > retainMs) {
          states.delete(id);
          dropped++;
        }
      }
      return dropped;
    },

    deployments(): number {
      return states.size;
    },

    /** Deployments still being analysed (no rollback yet, window open): what a metric poller watches. */
    watched(): { deploymentId: string; service: string }[] {
      const policy = deps.policy();
      const now = deps.clock.now();
      const out: { deploymentId: string; service: string }[] = [];
      for (const state of states.values()) {
        if (state.rollback !== undefined || now > windowEndsAt(state, policy)) continue;
        out.push({ deploymentId: state.deployment.deploymentId, service: state.deployment.service });
      }
      return out;
    },

    rollbackWorkflowId,
  };
}
