// In-memory fakes of the monitor's ports, for unit tests. They keep what they received in public
// arrays; the fake workflows keep one rollback per deployment like Temporal's id conflict policy.
import type { ActionRequestData } from "@warden/messaging";
import type {
  Clock,
  EscalationRequests,
  Notifier,
  RollbackEvent,
  RollbackEventSink,
  RollbackExecutor,
  RollbackWorkflows,
} from "../../app/ports.ts";
import { rollbackWorkflowId } from "../../domain/rollback-request.ts";
import type { HealthReport, RollbackRequest } from "../../domain/rollback-request.ts";

export type PublishedEvent = RollbackEvent & { id: string; actionId?: string | undefined };

export function createInMemoryEventSink(): RollbackEventSink & {
  published: PublishedEvent[];
  ids: Set<string>;
} {
  const published: PublishedEvent[] = [];
  const ids = new Set<string>();
  return {
    published,
    ids,
    publish(event) {
      // Like JetStream's duplicate window: the same id is stored once.
      if (!ids.has(event.id)) {
        ids.add(event.id);
        published.push(event);
      }
      return Promise.resolve();
    },
  };
}

export function createInMemoryEscalations(): EscalationRequests & { requests: ActionRequestData[] } {
  const requests: ActionRequestData[] = [];
  const ids = new Set<string>();
  return {
    requests,
    request(request) {
      if (!ids.has(request.actionId)) {
        ids.add(request.actionId);
        requests.push(request);
      }
      return Promise.resolve();
    },
  };
}

export function createInMemoryWorkflows(): RollbackWorkflows & {
  started: RollbackRequest[];
  startCalls: number;
  health: Map<string, HealthReport[]>;
} {
  const byDeployment = new Map<string, RollbackRequest>();
  const fake = {
    started: [] as RollbackRequest[],
    startCalls: 0,
    health: new Map<string, HealthReport[]>(),
    start(request: RollbackRequest) {
      fake.startCalls++;
      const workflowId = rollbackWorkflowId(request.deploymentId);
      if (byDeployment.has(request.deploymentId)) return Promise.resolve({ workflowId, started: false });
      byDeployment.set(request.deploymentId, request);
      fake.started.push(request);
      return Promise.resolve({ workflowId, started: true });
    },
    reportHealth(deploymentId: string, report: HealthReport) {
      if (!byDeployment.has(deploymentId)) return Promise.reject(new Error(`no rollback of ${deploymentId}`));
      const list = fake.health.get(deploymentId) ?? [];
      list.push(report);
      fake.health.set(deploymentId, list);
      return Promise.resolve();
    },
  };
  return fake;
}

export function createManualClock(
  start: number,
): Clock & { set(ms: number): void; advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    set(ms) {
      now = ms;
    },
    advance(ms) {
      now += ms;
    },
  };
}

/**
 * `hold`: each execution is recorded, then waits for this promise before it returns (a deployment
 * system that takes its time, so a test can act while the rollback is being executed).
 */
export function createInMemoryExecutor(
  options: { fail?: boolean; hold?: Promise<void> } = {},
): RollbackExecutor & {
  executed: { request: RollbackRequest; workflowId: string }[];
} {
  const executed: { request: RollbackRequest; workflowId: string }[] = [];
  return {
    executed,
    async execute(request, workflowId) {
      if (options.fail === true) throw new Error("deployment system refused the rollback");
      executed.push({ request, workflowId });
      await options.hold;
    },
  };
}

export function createInMemoryNotifier(): Notifier & {
  sent: { kind: string; deploymentId: string; detail: string }[];
} {
  const sent: { kind: string; deploymentId: string; detail: string }[] = [];
  return {
    sent,
    notify(kind, request, detail) {
      sent.push({ kind, deploymentId: request.deploymentId, detail });
      return Promise.resolve();
    },
  };
}
