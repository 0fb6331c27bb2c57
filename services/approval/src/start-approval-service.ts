// Composition root of the approval service: NATS → streams → stop-state watch → bundle events →
// Temporal client → worker (workflows + activities) → stop forwarder → decision starter → consume
// RPC → notifier and signed chat links → gRPC → ops server (health, metrics, /approvals/links/<token>). main.ts calls it after config and telemetry; integration tests call it
// in-process (or run main.ts as a child process, to kill it).
import { hostname } from "node:os";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { drainNats, watchStopState } from "@warden/messaging";
import {
  connectServiceNats,
  createVerifier,
  natsHealth,
  startServiceGrpc,
  stopStateHealth,
} from "@warden/service";
import {
  createLogger,
  createMetricsRegistry,
  healthFrom,
  rpcMetrics,
  startOpsServer,
} from "@warden/telemetry";
import type { Telemetry } from "@warden/telemetry";
import { temporalClientInterceptors, temporalWorkerTracing } from "@warden/telemetry/temporal";
import type { Logger } from "pino";
import { createApprovalService } from "./app/approval-service.ts";
import type { ApprovalService } from "./app/approval-service.ts";
import { startStopForwarder } from "./app/stop-forwarder.ts";
import type { LinkRefusalSink, Notifier } from "./app/ports.ts";
import { createActivities } from "./activities/create-activities.ts";
import { createApprovalLinks } from "./create-approval-links.ts";
import { approvalWorkflowsPath } from "./workflows-path.ts";
import type { ApprovalConfig } from "./config.ts";
import { natsApprovalEvents } from "./adapters/nats/nats-approval-events.ts";
import { watchActiveBundle } from "./adapters/nats/nats-active-bundle.ts";
import { natsStopState } from "./adapters/nats/nats-stop-state.ts";
import { temporalApprovalWorkflows } from "./adapters/temporal/temporal-approval-workflows.ts";
import { approvalGrpcService } from "./transport/grpc/approval-grpc.ts";
import { serveConsumeRpc } from "./transport/nats/consume-rpc.ts";
import { serveVerdictRpc } from "./transport/nats/verdict-rpc.ts";
import { consumeApprovalDecisions } from "./transport/nats/decision-consumer.ts";

const SERVICE = "approval";

export interface RunningApprovalService {
  readonly grpcPort: number;
  readonly opsPort: number;
  readonly service: ApprovalService;
  readonly client: Client;
  /** Stops taking work, finishes what is in flight, closes connections. */
  stop(): Promise<void>;
}

export interface ApprovalServiceOptions {
  log?: Logger;
  /** The workflow module the worker runs (tests: a stand-in under test/fixtures). */
  workflowsPath?: string;
  /** The chat channel when APPROVAL_SLACK_WEBHOOK_URL is unset (default: a notifier that only logs). */
  notifier?: Notifier;
  /**
   * The service's telemetry (runService's): with it the worker runs Temporal's OpenTelemetry
   * interceptors, so the workflow's and activities' spans continue the trace of the decision that
   * started the approval and are exported with the service's own. Without it only the client's
   * spans (StartWorkflow, update, query, signal) are recorded.
   */
  telemetry?: Pick<Telemetry, "resource" | "spanProcessor"> | undefined;
}

export async function startApprovalService(
  config: ApprovalConfig,
  options: ApprovalServiceOptions = {},
): Promise<RunningApprovalService> {
  const log = options.log ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const instanceId = `${SERVICE}@${hostname()}:${process.pid}`;
  const { nc, topology, publisher } = await connectServiceNats({ service: SERVICE, config });
  // Each replica acknowledges the emergency-stop epoch it enforces (kill-switch Status lists it).
  const stopWatcher = await watchStopState(nc, topology, {
    log,
    leaseMs: config.KILLSWITCH_LEASE,
    acknowledge: { publisher, instanceId, consumer: { type: "service", id: SERVICE, roles: [] } },
  });
  const bundle = await watchActiveBundle(nc, topology, log);
  const registry = createMetricsRegistry({ service: SERVICE });

  // The client reconnects on its own: a Temporal outage after start makes calls fail (and retry).
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    interceptors: temporalClientInterceptors(),
  });
  const workflows = temporalApprovalWorkflows({
    client,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
  });
  const events = natsApprovalEvents(publisher, topology);
  const service = createApprovalService({
    workflows,
    events,
    stop: natsStopState(stopWatcher),
    bundle,
    log,
  });

  const verifier = await createVerifier(config);
  // A refused link use is an event; a vote the workflow refused was already published by `decide`.
  const linkRefusals: LinkRefusalSink = {
    async refused(refusal) {
      if (refusal.reason === "vote_refused") return;
      const actionId = refusal.actionId ?? "";
      const view = actionId === "" ? undefined : await workflows.view(actionId).catch(() => undefined);
      await events.refused({
        actionId,
        agentId: view?.agentId ?? "",
        attempt: "vote",
        actor: { type: "human", id: refusal.caller ?? refusal.approver ?? "unknown", roles: [] },
        code: `link_${refusal.reason}`,
        message: refusal.message,
        decision: refusal.decision,
      });
    },
  };
  const chat = await createApprovalLinks({
    config,
    nc,
    topology,
    verifier,
    vote: (actionId, vote) => {
      const { voter, ...rest } = vote;
      return service.decide(voter, actionId, rest);
    },
    read: (actionId) => workflows.view(actionId),
    refusals: linkRefusals,
    log,
    ...(options.notifier === undefined ? {} : { fallbackNotifier: options.notifier }),
  });

  let worker: Worker | undefined;
  let workerDone: Promise<void> | undefined;
  let workerConnection: NativeConnection | undefined;
  if (config.APPROVAL_WORKER) {
    workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    worker = await Worker.create({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowsPath: options.workflowsPath ?? approvalWorkflowsPath,
      activities: createActivities({ publisher, topology, notifier: chat.notifier }),
      ...(options.telemetry === undefined ? {} : temporalWorkerTracing(options.telemetry)),
    });
    const running = worker;
    workerDone = running.run().catch((err: unknown) => log.error({ err }, "approval worker stopped"));
  }

  const forwarder = await startStopForwarder(service, { pollMs: config.APPROVAL_STOP_POLL, log });
  const starter = await consumeApprovalDecisions({
    nc,
    topology,
    service,
    publisher,
    log,
    policy: {
      breakGlassRoles: config.APPROVAL_BREAK_GLASS_ROLES,
      breakGlassValiditySeconds: Math.round(config.APPROVAL_BREAK_GLASS_VALIDITY / 1000),
      approvalValiditySeconds: Math.round(config.APPROVAL_VALIDITY / 1000),
    },
    concurrency: config.APPROVAL_CONCURRENCY,
    retryDelayMs: config.APPROVAL_START_RETRY_DELAY,
  });
  const rpcEvents = natsApprovalEvents(publisher, topology);
  const rpcMetricsOf = rpcMetrics(registry);
  const rpc = serveConsumeRpc({ nc, topology, service, events: rpcEvents, log, metrics: rpcMetricsOf });
  const verdictRpc = serveVerdictRpc({
    nc,
    topology,
    service,
    events: rpcEvents,
    log,
    metrics: rpcMetricsOf,
  });

  const { server: grpc, port: grpcPort } = await startServiceGrpc({
    logger: log,
    verifier,
    services: [approvalGrpcService(service)],
    config,
    registry,
    refusals: { service: SERVICE, publisher, topology },
  });

  const ops = await startOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    registry,
    routes: chat.http,
    health: healthFrom({
      nats: natsHealth(nc),
      killswitch: stopStateHealth(stopWatcher),
      temporal: async () => {
        await connection.healthService.check({});
        return "serving";
      },
      worker: () => {
        if (worker === undefined) return "not run here";
        const state = worker.getState();
        if (state !== "RUNNING") throw new Error(`worker ${state}`);
        return state;
      },
    }),
  });
  log.info({ grpcPort, opsPort: ops.port, taskQueue: config.TEMPORAL_TASK_QUEUE }, "approval service ready");

  return {
    grpcPort,
    opsPort: ops.port,
    service,
    client,
    async stop() {
      await grpc.shutdown(5_000);
      await starter.stop();
      rpc.unsubscribe();
      verdictRpc.unsubscribe();
      await forwarder.close();
      worker?.shutdown();
      await workerDone;
      await workerConnection?.close();
      bundle.close();
      await stopWatcher.close();
      await drainNats(nc);
      await connection.close();
      await ops.close();
    },
  };
}
