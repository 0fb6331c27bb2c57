// Composition root of the rollback monitor: NATS → rollback policy → Temporal client and worker →
// monitor → state rebuilt from the stream → durable consumer on deploy + signal → clock ticks →
// gRPC → ops server. main.ts calls it after config and telemetry; integration tests in-process.
import { fileURLToPath } from "node:url";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { consumeEvents, decodeEvent, drainNats, wardenCatalog } from "@warden/messaging";
import { connectServiceNats, createVerifier, natsHealth, startServiceGrpc } from "@warden/service";
import { createLogger, createMetricsRegistry, healthFrom, startOpsServer } from "@warden/telemetry";
import { Counter } from "prom-client";
import { createActivities } from "./activities/create-activities.ts";
import { loadRollbackPolicy } from "./adapters/fs/fs-rollback-policy.ts";
import { prometheusMetricSource } from "./adapters/http/prometheus-metric-source.ts";
import { logNotifier, webhookExecutor } from "./adapters/http/webhook-executor.ts";
import {
  natsEscalationRequests,
  natsRollbackEvents,
  natsSignalPublisher,
} from "./adapters/nats/nats-rollback-events.ts";
import { createMetricPoller } from "./app/metric-poller.ts";
import type { PollResult } from "./app/metric-poller.ts";
import { replayStream } from "./adapters/nats/stream-replay.ts";
import { createTemporalRollbackWorkflows } from "./adapters/temporal/temporal-rollback-workflows.ts";
import { createRollbackMonitor, MONITOR_AGENT_ID } from "./app/rollback-monitor.ts";
import type { RollbackMonitor } from "./app/rollback-monitor.ts";
import type { RollbackMonitorConfig } from "./config.ts";
import { rollbackGrpcService } from "./transport/grpc/rollback-grpc.ts";
import { inputFromEnvelope } from "./transport/rollback-wire.ts";

const SERVICE = "rollback-monitor";
const workflowsPath = fileURLToPath(new URL("./workflows/index.ts", import.meta.url));

export interface RunningRollbackMonitor {
  readonly grpcPort: number;
  readonly opsPort: number;
  readonly monitor: RollbackMonitor;
  /** Messages applied by the start-up replay. */
  readonly replayed: number;
  /** One Prometheus poll round now (undefined without ROLLBACK_PROMETHEUS_URL); rounds also run every interval. */
  pollMetrics(): Promise<PollResult> | undefined;
  stop(): Promise<void>;
}

export async function startRollbackMonitor(config: RollbackMonitorConfig): Promise<RunningRollbackMonitor> {
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const policy = await loadRollbackPolicy(config.ROLLBACK_BUNDLE_DIR);
  const { nc, topology, publisher } = await connectServiceNats({ service: SERVICE, config });
  const events = natsRollbackEvents(publisher, topology);
  const escalations = natsEscalationRequests(publisher, topology, MONITOR_AGENT_ID);
  const clock = { now: () => Date.now() };

  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection: workerConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath,
    activities: createActivities({
      events,
      escalations,
      executor: webhookExecutor({ url: config.ROLLBACK_WEBHOOK_URL }),
      notifier: logNotifier(log),
      clock,
    }),
  });
  const workerRun = worker.run();

  const monitor = createRollbackMonitor({
    policy: () => policy,
    events,
    workflows: createTemporalRollbackWorkflows(client, config.TEMPORAL_TASK_QUEUE),
    escalations,
    clock,
    onFinding: (finding, deployment) =>
      log.info(
        { deploymentId: deployment.deploymentId, ...finding },
        `finding ${finding.trigger} ${finding.verdict}`,
      ),
  });

  // Rebuild every deployment of the lookback from the stream, then act on what was left undone.
  const replayed = await replayStream(
    nc,
    topology,
    new Date(Date.now() - config.ROLLBACK_REPLAY_LOOKBACK),
    async (envelope, receivedAt) => {
      const input = inputFromEnvelope(envelope, receivedAt);
      if (input !== undefined) await monitor.handle(input, { act: false, receivedAt });
    },
  );
  await monitor.reconcile();
  log.info({ replayed, deployments: monitor.deployments() }, "state rebuilt from the stream");

  const consumer = await consumeEvents({
    nc,
    topology,
    publisher,
    log,
    // Messages of different deployments run in parallel (a slow workflow start no longer holds up
    // every other deployment); one deployment's messages stay in stream order (the subject's last
    // token is the deployment id: warden.deploy.<event>.<id>, warden.signal.<kind>.<id>). Each is
    // acked only after its handler — and so any workflow start it made — was accepted.
    concurrency: config.ROLLBACK_CONSUMER_CONCURRENCY,
    orderingKey: (subject) => subject.slice(subject.lastIndexOf(".") + 1),
    spec: {
      stream: topology.streams.events,
      durable: `${SERVICE}`,
      // Room for the messages of deployments whose workflow start is slow (they wait in order
      // behind it, unacked, without holding a handler slot).
      maxAckPending: 20_000,
      filterSubjects: [topology.subjects.deployAll, topology.subjects.signalAll],
    },
    decode: (bytes) => decodeEvent(bytes, wardenCatalog),
    handler: async (envelope, meta) => {
      const input = inputFromEnvelope(envelope, meta.timestampMs);
      if (input === undefined) return;
      const outcome = await monitor.handle(input, { act: true, receivedAt: meta.timestampMs });
      if (outcome === "unknown_deployment") {
        log.warn({ subject: meta.subject }, "signal for a deployment the monitor never saw started; ignored");
      }
    },
  });

  let ticking = false;
  const ticker = setInterval(() => {
    if (ticking) return;
    ticking = true;
    monitor
      .tick()
      .then(() => monitor.prune(config.ROLLBACK_RETAIN))
      .catch((err: unknown) => log.error({ err }, "tick failed"))
      .finally(() => {
        ticking = false;
      });
  }, config.ROLLBACK_TICK);

  const registry = createMetricsRegistry({ service: SERVICE });
  const pollFailures = new Counter({
    name: "warden_rollback_metric_poll_failures_total",
    help: "Prometheus samples the monitor could not read (nothing published in their place)",
    labelNames: ["kind", "reason"],
    registers: [registry],
  });
  const poller =
    config.ROLLBACK_PROMETHEUS_URL === undefined
      ? undefined
      : createMetricPoller({
          source: prometheusMetricSource({
            url: config.ROLLBACK_PROMETHEUS_URL,
            timeoutMs: config.ROLLBACK_PROMETHEUS_TIMEOUT,
            queries: {
              error_rate: {
                value: config.ROLLBACK_PROMETHEUS_ERROR_RATE_QUERY,
                baseline: config.ROLLBACK_PROMETHEUS_ERROR_RATE_BASELINE_QUERY,
              },
              latency: {
                value: config.ROLLBACK_PROMETHEUS_LATENCY_QUERY,
                baseline: config.ROLLBACK_PROMETHEUS_LATENCY_BASELINE_QUERY,
              },
            },
          }),
          signals: natsSignalPublisher(publisher, topology),
          watched: () => monitor.watched(),
          clock,
          onProblem: (p) => {
            pollFailures.inc({ kind: p.kind, reason: p.reason });
            log.warn(p, `no ${p.kind} sample from prometheus for ${p.deploymentId} (${p.reason})`);
          },
        });
  let polling: Promise<PollResult> | undefined;
  const pollMetrics = (): Promise<PollResult> | undefined => {
    if (poller === undefined) return undefined;
    // One round at a time: a slow Prometheus never piles rounds up.
    polling ??= poller.pollOnce().finally(() => {
      polling = undefined;
    });
    return polling;
  };
  const pollTimer =
    poller === undefined
      ? undefined
      : setInterval(() => {
          pollMetrics()?.catch((err: unknown) => log.error({ err }, "metric poll failed"));
        }, config.ROLLBACK_PROMETHEUS_INTERVAL);

  const verifier = await createVerifier(config);
  const { server: grpc, port: grpcPort } = await startServiceGrpc({
    logger: log,
    verifier,
    services: [rollbackGrpcService(monitor)],
    config,
    refusals: { service: SERVICE, publisher, topology },
  });
  const ops = await startOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    registry,
    health: healthFrom({
      nats: natsHealth(nc),
      temporal: async () => {
        await clientConnection.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE });
        return `worker ${worker.getState()}`;
      },
    }),
  });
  log.info(
    {
      grpcPort,
      opsPort: ops.port,
      triggers: policy.triggers.length,
      prometheus: config.ROLLBACK_PROMETHEUS_URL,
    },
    "rollback monitor ready",
  );

  return {
    grpcPort,
    opsPort: ops.port,
    monitor,
    replayed,
    pollMetrics,
    async stop() {
      await grpc.shutdown(5_000);
      clearInterval(ticker);
      clearInterval(pollTimer);
      await polling?.catch(() => undefined);
      await consumer.stop();
      worker.shutdown();
      await workerRun;
      await drainNats(nc);
      await workerConnection.close();
      await clientConnection.close();
      await ops.close();
    },
  };
}
