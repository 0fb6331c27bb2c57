// Every outbound port of the rollback monitor. The payloads are the proto JSON shapes of
// @warden/messaging's event schemas (plain data).
import type {
  ActionRequestData,
  RollbackEscalatedData,
  IncidentData,
  ReviewOverdueData,
  RollbackCompletedData,
  RollbackRefusedData,
  RollbackRequestedData,
  RollbackTriggeredData,
} from "@warden/messaging";
import type { Observation, SignalKindName } from "../domain/analysis.ts";
import type { HealthReport, RollbackRequest } from "../domain/rollback-request.ts";

/** What the monitor publishes; `id` is deterministic so a re-publish of the same fact de-duplicates. */
export type RollbackEvent =
  | { type: "triggered"; data: RollbackTriggeredData }
  | { type: "dry_run"; data: RollbackTriggeredData }
  | { type: "requested"; data: RollbackRequestedData }
  | { type: "completed"; data: RollbackCompletedData }
  | { type: "refused"; data: RollbackRefusedData }
  | { type: "escalated"; data: RollbackEscalatedData }
  | { type: "incident_opened"; data: IncidentData }
  | { type: "review_overdue"; data: ReviewOverdueData };

export type RollbackEventOf<K extends RollbackEvent["type"]> = Extract<RollbackEvent, { type: K }>;

export interface RollbackEventSink {
  publish(event: RollbackEvent & { id: string; actionId?: string | undefined }): Promise<void>;
}

/** Asks for a human decision: an ActionRequest by the rollback monitor, decided by the policy service. */
export interface EscalationRequests {
  request(request: ActionRequestData & { actionId: string }): Promise<void>;
}

/** Rollback workflows (Temporal): one per deployment, a second start is a no-op. */
export interface RollbackWorkflows {
  start(request: RollbackRequest): Promise<{ workflowId: string; started: boolean }>;
  /** Forwards a health check to the deployment's running rollback (verification). */
  reportHealth(deploymentId: string, report: HealthReport): Promise<void>;
}

/** Carries out a rollback: the deployment system hears of it (event and optional webhook). */
export interface RollbackExecutor {
  execute(request: RollbackRequest, workflowId: string): Promise<void>;
}

/** Human notifications on start, completion and failure (chat, pager; a log in development). */
export interface Notifier {
  notify(
    kind: "started" | "succeeded" | "failed" | "review_overdue",
    request: RollbackRequest,
    detail: string,
  ): Promise<void>;
}

/** Why a metric source gave no sample: nothing is made up in its place. */
export type MetricSourceFailure = "unreachable" | "error_status" | "invalid";

export class MetricSourceError extends Error {
  readonly reason: MetricSourceFailure;
  constructor(reason: MetricSourceFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MetricSourceError";
    this.reason = reason;
  }
}

/** Pulls metric samples from elsewhere (the Prometheus adapter) for a deployment; undefined: no data. */
export interface MetricSource {
  sample(
    query: { deploymentId: string; service: string; kind: Extract<SignalKindName, "error_rate" | "latency"> },
    at: number,
  ): Promise<Observation | undefined>;
}

/** Publishes a metric sample as the monitor's `warden.signal.<kind>.<deployment>` event. */
export interface SignalPublisher {
  publish(deploymentId: string, observation: Observation): Promise<void>;
}

export interface Clock {
  now(): number;
}
