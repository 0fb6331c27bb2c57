// Composition root of the policy service: NATS → streams → kill-switch watch → bundle (which names
// the agents whose usage is counted) → usage catch-up → consumers → gRPC → ops server → ready.
// main.ts calls it after config and telemetry; integration tests call it in-process.
import { hostname } from "node:os";
import { createPipelinedPublisher, drainNats, watchStopState } from "@warden/messaging";
import type { PipelinedPublisher } from "@warden/messaging";
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
import type { Logger } from "pino";
import { createPolicyService } from "./app/policy-service.ts";
import type { PolicyService } from "./app/policy-service.ts";
import { groupCommit } from "./app/group-commit.ts";
import type { DecisionSink } from "./app/ports.ts";
import type { PolicyConfig } from "./config.ts";
import { formatIssue } from "./domain/bundle-error.ts";
import { createFsBundleSource } from "./adapters/fs/fs-bundle-source.ts";
import { watchBundleDir } from "./adapters/fs/watch-bundle-dir.ts";
import { createPolicyMetrics, decisionRecordGroups, instrumentDecisions } from "./adapters/metrics.ts";
import { natsBundleEvents } from "./adapters/nats/nats-bundle-events.ts";
import { natsDecisionSink } from "./adapters/nats/nats-decision-sink.ts";
import { natsStopState } from "./adapters/nats/nats-stop-state.ts";
import { createUsageWatcher } from "./adapters/nats/nats-usage-view.ts";
import type { UsageWatcher } from "./adapters/nats/nats-usage-view.ts";
import { policyGrpcService } from "./transport/grpc/policy-grpc.ts";
import { createPolicyAccess } from "./transport/grpc/policy-access.ts";
import { consumeActionRequests } from "./transport/nats/action-consumer.ts";
import { serveEvaluateRpc } from "./transport/nats/evaluate-rpc.ts";

const SERVICE = "policy";

export interface RunningPolicyService {
  readonly grpcPort: number;
  readonly opsPort: number;
  readonly service: PolicyService;
  /** The replica's usage view (rate and budget limits). */
  readonly usage: UsageWatcher;
  /** Re-reads the bundle (also on SIGHUP). */
  reload(): void;
  /** Stops taking work, finishes what is in flight, closes connections. */
  stop(): Promise<void>;
}

/** `log`: the service's logger (tests read what it says); one from LOG_LEVEL otherwise. */
export async function startPolicyService(
  config: PolicyConfig,
  options: {
    log?: Logger;
    /**
     * Wall clock (epoch ms) for decisions and usage windows; default Date.now. Tests that count
     * within a rate window pin it, so a slow run never slides requests out of the window.
     */
    clock?: () => number;
    /**
     * Wraps the decision sink the mode built (test/fault/lib: a control that answers before its
     * record is written). Never set in production.
     */
    wrapDecisions?: (sink: DecisionSink) => DecisionSink;
  } = {},
): Promise<RunningPolicyService> {
  const log = options.log ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const instanceId = `${SERVICE}@${hostname()}:${process.pid}`;
  const { nc, topology, publisher } = await connectServiceNats({ service: SERVICE, config });
  // Each replica acknowledges the emergency-stop epoch it enforces (kill-switch Status lists it).
  const stopWatcher = await watchStopState(nc, topology, {
    log,
    leaseMs: config.KILLSWITCH_LEASE,
    acknowledge: { publisher, instanceId, consumer: { type: "service", id: SERVICE, roles: [] } },
  });
  // Reads nothing yet: the bundle names the agents whose usage is counted.
  const usage = createUsageWatcher(nc, topology, {
    log,
    leaseMs: config.USAGE_LEASE,
    ...(options.clock !== undefined && { now: options.clock }),
  });
  const registry = createMetricsRegistry({ service: SERVICE });

  // POLICY_DECISION_RECORDS: every mode answers only after the decision's own record is acknowledged.
  const recordPublisher: PipelinedPublisher | undefined =
    config.POLICY_DECISION_RECORDS === "single"
      ? undefined
      : createPipelinedPublisher(nc, { source: SERVICE });
  const recordSink = natsDecisionSink(recordPublisher ?? publisher, topology);
  const modeSink =
    config.POLICY_DECISION_RECORDS === "group"
      ? groupCommit(recordSink, { onGroup: decisionRecordGroups(registry) })
      : recordSink;
  const source = createFsBundleSource(config.POLICY_BUNDLE_DIR);
  const service = await createPolicyService({
    source,
    stopState: natsStopState(stopWatcher),
    decisions: instrumentDecisions(options.wrapDecisions?.(modeSink) ?? modeSink, registry),
    usage,
    bundleEvents: natsBundleEvents(publisher, topology, instanceId),
    ...(options.clock !== undefined && { clock: options.clock }),
  });
  log.info({ bundle: service.status() }, "policy bundle active");
  const metrics = createPolicyMetrics(registry, {
    activeDigest: () => service.status().digest,
    stopKind: () => stopWatcher.current().kind,
    stopConfirmedAt: () => stopWatcher.confirmedAt(),
    leaseMs: config.KILLSWITCH_LEASE,
  });
  // Serve only once the limited agents' usage has caught up with today's decisions (or the timeout).
  await usage.caughtUp(config.USAGE_CATCHUP_TIMEOUT);

  const reload = (): void => {
    void service.reload().then(
      (result) => {
        // A refused bundle is a problem someone must fix (the old bundle stays active): warn, with
        // every issue as `file:line:col field: reason`.
        metrics.reloaded(result.kind);
        if (result.kind === "rejected") {
          log.warn(
            { activeDigest: service.status().digest, issues: result.issues.map(formatIssue) },
            "policy bundle rejected; the active bundle stays",
          );
        } else {
          log.info({ result }, "policy bundle reload");
        }
      },
      (err: unknown) => {
        metrics.reloaded("failed");
        log.error({ err }, "policy bundle reload failed");
      },
    );
  };
  const bundleWatch = config.POLICY_WATCH ? watchBundleDir(config.POLICY_BUNDLE_DIR, reload) : undefined;

  const consumer = await consumeActionRequests({
    nc,
    topology,
    service,
    publisher,
    log,
    concurrency: config.POLICY_CONCURRENCY,
    unknownStopRetry: {
      delayMs: config.POLICY_UNKNOWN_STOP_RETRY_DELAY,
      maxDeliveries: config.POLICY_UNKNOWN_STOP_MAX_DELIVERIES,
    },
    metrics,
  });
  const rpc = serveEvaluateRpc({
    nc,
    topology,
    service,
    log,
    metrics: rpcMetrics(registry),
    policyMetrics: metrics,
  });

  const { server: grpc, port: grpcPort } = await startServiceGrpc({
    logger: log,
    verifier: await createVerifier(config),
    services: [
      policyGrpcService(
        service,
        createPolicyAccess({
          dryRunRoles: config.POLICY_DRY_RUN_ROLES,
          explainRoles: config.POLICY_EXPLAIN_ROLES,
          bundleReadRoles: config.POLICY_BUNDLE_READ_ROLES,
        }),
      ),
    ],
    config,
    registry,
    refusals: { service: SERVICE, publisher, topology },
  });

  const ops = await startOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    registry,
    health: healthFrom({
      nats: natsHealth(nc),
      killswitch: stopStateHealth(stopWatcher),
      usage: () => {
        const state = usage.status();
        if (state.state === "unknown") throw new Error(state.reason);
        return state.state;
      },
    }),
  });
  log.info(
    {
      grpcPort,
      opsPort: ops.port,
      digest: service.status().digest,
      decisionRecords: config.POLICY_DECISION_RECORDS,
    },
    "policy service ready",
  );

  return {
    grpcPort,
    opsPort: ops.port,
    service,
    usage,
    reload,
    async stop() {
      bundleWatch?.close();
      await grpc.shutdown(5_000);
      await consumer.stop();
      rpc.unsubscribe();
      await stopWatcher.close();
      await usage.close();
      await drainNats(nc);
      recordPublisher?.close();
      await ops.close();
    },
  };
}
