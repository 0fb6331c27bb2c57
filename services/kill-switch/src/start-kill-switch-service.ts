// Composition root of the kill-switch service: NATS → streams and bucket → KV stop store → event
// publisher → acknowledgement feed → gRPC → ops server (with the HTTP API and slash command).
// main.ts calls it after config and telemetry; integration tests call it in-process.
import { Kvm } from "@nats-io/kv";
import { drainNats } from "@warden/messaging";
import { connectServiceNats, createVerifier, natsHealth, startServiceGrpc } from "@warden/service";
import { createLogger, createMetricsRegistry, healthFrom, startOpsServer } from "@warden/telemetry";
import { createKillSwitchService } from "./app/kill-switch-service.ts";
import type { KillSwitchService } from "./app/kill-switch-service.ts";
import type { KillSwitchConfig } from "./config.ts";
import { createKvReplayGuard } from "./adapters/nats/kv-replay-guard.ts";
import { createKvStopStore } from "./adapters/nats/kv-stop-store.ts";
import { followReEnableVerdicts, natsReEnableApprovals } from "./adapters/nats/nats-re-enable-approvals.ts";
import { createReEnabler } from "./app/re-enable.ts";
import { DEFAULT_ACTIVATION_ROLES } from "./app/kill-switch-service.ts";
import { natsKillSwitchEvents, watchAcknowledgements } from "./adapters/nats/nats-kill-switch-events.ts";
import type { Person } from "./domain/stop-record.ts";
import { killSwitchGrpcService } from "./transport/grpc/kill-switch-grpc.ts";
import { killSwitchHttp } from "./transport/http/kill-switch-http.ts";

const SERVICE = "kill-switch";

export interface RunningKillSwitchService {
  readonly grpcPort: number;
  readonly opsPort: number;
  readonly service: KillSwitchService;
  stop(): Promise<void>;
}

export async function startKillSwitchService(config: KillSwitchConfig): Promise<RunningKillSwitchService> {
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const { nc, topology, publisher } = await connectServiceNats({ service: SERVICE, config });
  const kv = await new Kvm(nc).open(topology.kv.killswitch);
  const events = natsKillSwitchEvents(publisher, topology);
  const acks = await watchAcknowledgements(nc, topology, {
    log,
    ttlMs: config.KILLSWITCH_CONSUMER_TTL,
    refuse: ({ reason, id }) =>
      events.refused({
        operation: "acknowledge",
        person: undefined,
        reason,
        at: new Date().toISOString(),
        id,
      }),
  });
  const store = createKvStopStore(kv);
  const service = createKillSwitchService({
    store,
    events,
    acks,
    activationRoles: config.KILLSWITCH_ACTIVATION_ROLES,
    consumerTtlMs: config.KILLSWITCH_CONSUMER_TTL,
  });
  // Finish a deactivation a previous process approved but did not complete.
  await service.status();
  const reEnabler = createReEnabler({
    store,
    events,
    approvals: natsReEnableApprovals(nc, publisher, topology),
    roles: config.KILLSWITCH_ACTIVATION_ROLES ?? DEFAULT_ACTIVATION_ROLES,
  });
  const verdicts = followReEnableVerdicts(nc, topology, reEnabler, log);
  // A verdict missed while down (or dropped) is found here: after start, then every 15 s.
  const sweep = (): void => {
    reEnabler.sweep().catch((err: unknown) => {
      log.warn({ err }, "re-enable sweep failed; retried at the next one");
    });
  };
  sweep();
  const sweeper = setInterval(sweep, 15_000);
  sweeper.unref();

  const verifier = await createVerifier(config);
  const { server: grpc, port: grpcPort } = await startServiceGrpc({
    logger: log,
    verifier,
    services: [killSwitchGrpcService(service, reEnabler)],
    config,
    refusals: { service: SERVICE, publisher, topology },
  });

  const slackUsers = new Map<string, Person>(
    config.SLACK_USERS.map((u) => [u.slackId, { id: u.id, type: "human", roles: u.roles }]),
  );
  const replays = createKvReplayGuard(await new Kvm(nc).open(topology.kv.killswitchReplays));
  const registry = createMetricsRegistry({ service: SERVICE });
  const ops = await startOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    registry,
    routes: killSwitchHttp({
      service,
      verifier,
      log,
      slack:
        config.SLACK_SIGNING_SECRET === undefined
          ? undefined
          : { signingSecret: config.SLACK_SIGNING_SECRET, users: slackUsers, replays },
    }),
    health: healthFrom({
      nats: natsHealth(nc),
      kv: async () => `epoch ${(await service.status()).epoch}`,
    }),
  });
  log.info({ grpcPort, opsPort: ops.port }, "kill-switch service ready");

  return {
    grpcPort,
    opsPort: ops.port,
    service,
    async stop() {
      clearInterval(sweeper);
      verdicts.unsubscribe();
      await grpc.shutdown(5_000);
      await ops.close();
      await acks.close();
      await drainNats(nc);
    },
  };
}
