// Domain ↔ proto JSON for the transports: the consumed events (deploy, signal, the monitor's own) as
// the status view as warden.rollback.v1.DeploymentStatus JSON.
import type { DeploymentStartedData, Envelope, SignalData } from "@warden/messaging";
import { events } from "@warden/messaging";
import type { EnvironmentName, Observation, PhaseName, SignalKindName } from "../domain/analysis.ts";
import type { RollbackResultName } from "../domain/rollback-request.ts";
import type { MonitorInput, StatusView } from "../app/rollback-monitor.ts";
import { environmentToWire } from "../app/rollback-monitor.ts";

const KIND_FROM_WIRE: Record<string, SignalKindName> = {
  SIGNAL_KIND_HEALTH: "health",
  SIGNAL_KIND_ERROR_RATE: "error_rate",
  SIGNAL_KIND_LATENCY: "latency",
  SIGNAL_KIND_SECURITY_SCAN: "security_scan",
  SIGNAL_KIND_CONFIDENCE: "confidence",
};
const KIND_TO_WIRE = Object.fromEntries(Object.entries(KIND_FROM_WIRE).map(([k, v]) => [v, k]));
const ENV_FROM_WIRE: Record<string, EnvironmentName> = {
  ENVIRONMENT_DEVELOPMENT: "development",
  ENVIRONMENT_STAGING: "staging",
  ENVIRONMENT_PRODUCTION: "production",
};
const RESULT_FROM_WIRE: Record<string, RollbackResultName> = {
  ROLLBACK_RESULT_SUCCEEDED: "succeeded",
  ROLLBACK_RESULT_FAILED: "failed",
  ROLLBACK_RESULT_VERIFICATION_FAILED: "verification_failed",
};
const PHASE_TO_WIRE: Record<PhaseName, string> = {
  monitoring: "DEPLOYMENT_PHASE_MONITORING",
  stable: "DEPLOYMENT_PHASE_STABLE",
  rolling_back: "DEPLOYMENT_PHASE_ROLLING_BACK",
  rolled_back: "DEPLOYMENT_PHASE_ROLLED_BACK",
  rollback_failed: "DEPLOYMENT_PHASE_ROLLBACK_FAILED",
  escalated: "DEPLOYMENT_PHASE_ESCALATED",
};

/** The events the monitor consumes (deploy, signal) and replays (its own). */
export const consumedTypes = new Set<string>([
  events.deploymentStarted.type,
  events.deploymentCompleted.type,
  events.signalObserved.type,
  events.rollbackTriggered.type,
  events.rollbackDryRun.type,
  events.rollbackEscalated.type,
  events.rollbackCompleted.type,
]);

/** A decoded envelope → the monitor's input, or undefined for a type the monitor ignores. */
export function inputFromEnvelope(envelope: Envelope<unknown>, receivedAt: number): MonitorInput | undefined {
  switch (envelope.type) {
    case events.deploymentStarted.type: {
      const d = envelope.data as DeploymentStartedData;
      return {
        type: "deployment_started",
        deployment: {
          deploymentId: d.deploymentId,
          actionId: d.actionId,
          agentId: d.agentId,
          service: d.service,
          environment: ENV_FROM_WIRE[d.environment] ?? "unspecified",
          version: d.version,
          previousVersion: d.previousVersion,
          strategy: d.strategy ?? "rolling",
          baselineRef: d.baselineRef,
          startedAt: Date.parse(d.startedAt),
        },
      };
    }
    case events.deploymentCompleted.type: {
      const d = envelope.data as { deploymentId: string; succeeded?: boolean; completedAt: string };
      return {
        type: "deployment_completed",
        deploymentId: d.deploymentId,
        succeeded: d.succeeded === true,
        completedAt: Date.parse(d.completedAt),
      };
    }
    case events.signalObserved.type: {
      const s = envelope.data as SignalData;
      const observation: Observation = {
        id: envelope.id,
        kind: KIND_FROM_WIRE[s.kind] ?? "health",
        value: s.value,
        baseline: s.baseline,
        passed: s.passed,
        severity: s.severity,
        detail: s.detail,
        source: s.source,
        observedAt: Date.parse(s.observedAt),
        receivedAt,
      };
      return { type: "signal", deploymentId: s.deploymentId, observation };
    }
    case events.rollbackTriggered.type:
    case events.rollbackDryRun.type:
    case events.rollbackEscalated.type:
    case events.rollbackCompleted.type: {
      const d = envelope.data as {
        deploymentId: string;
        workflowId?: string;
        trigger?: string;
        triggeredAt?: string;
        result?: string;
      };
      return {
        type: "own_event",
        deploymentId: d.deploymentId,
        eventId: envelope.id,
        ...(envelope.type === events.rollbackTriggered.type && {
          workflowId: d.workflowId,
          trigger: d.trigger,
          since: d.triggeredAt === undefined ? undefined : Date.parse(d.triggeredAt),
        }),
        ...(envelope.type === events.rollbackCompleted.type && {
          result: RESULT_FROM_WIRE[d.result ?? ""],
        }),
      };
    }
    default:
      return undefined;
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The status view as DeploymentStatus proto JSON. */
export function statusToWire(view: StatusView): Record<string, unknown> {
  const { state } = view;
  const d = state.deployment;
  const env = environmentToWire(d.environment);
  return {
    deploymentId: d.deploymentId,
    ...(d.actionId !== undefined && { actionId: d.actionId }),
    service: d.service,
    ...(env !== undefined && { environment: env }),
    version: d.version,
    ...(d.previousVersion !== undefined && { previousVersion: d.previousVersion }),
    phase: PHASE_TO_WIRE[view.phase],
    startedAt: iso(d.startedAt),
    windowEndsAt: iso(view.windowEndsAt),
    latestSignals: view.latest.map((o) => ({
      deploymentId: d.deploymentId,
      kind: KIND_TO_WIRE[o.kind],
      ...(o.value !== undefined && { value: o.value }),
      ...(o.passed !== undefined && { passed: o.passed }),
      ...(o.detail !== undefined && { detail: o.detail }),
      ...(o.source !== undefined && { source: o.source }),
      observedAt: iso(o.observedAt),
      ...(o.baseline !== undefined && { baseline: o.baseline }),
      ...(o.severity !== undefined && { severity: o.severity }),
    })),
    triggers: state.findings
      .filter((f) => f.verdict === "fired" && f.action === "rollback" && !f.dryRun)
      .map((f) => ({
        deploymentId: d.deploymentId,
        trigger: f.trigger,
        ...(f.kind !== "manual" && { signalKind: KIND_TO_WIRE[f.kind] }),
        ...(f.observed !== undefined && { observed: f.observed }),
        ...(f.baseline !== undefined && { baseline: f.baseline }),
        ...(f.threshold !== undefined && { threshold: f.threshold }),
        reason: f.reason,
        triggeredAt: iso(f.at),
      })),
    ...(state.rollback !== undefined && { workflowId: state.rollback.workflowId }),
    ...(state.result !== undefined && {
      result: Object.entries(RESULT_FROM_WIRE).find(([, v]) => v === state.result)?.[0],
    }),
  };
}
