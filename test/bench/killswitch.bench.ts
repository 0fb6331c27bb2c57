// Kill-switch propagation: activation → every one of 3 policy replicas enforcing it, p50 / p99.
// "Enforcing" is taken as the replica's acknowledgement of the new epoch: its stop-state watcher
// publishes it right after applying the change, i.e. from then on the replica denies (the e2e test
// checks the denial itself). The services run as separate processes; the clock runs from just
// before the Activate call to the receipt of the third acknowledgement (not to the RPC's answer). Peer in the same run: a
// bare KV put → watch delivery on the same bucket. `node test/bench/killswitch.bench.ts [runs]`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kvm } from "@nats-io/kv";
import { killswitchV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import { createDevIssuer } from "@warden/identity";
import { connectNats, decodeEventAs, drainNats, events, topology } from "@warden/messaging";
import { startNats } from "@warden/testing/servers";
import { startServiceProcess } from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";
import { summarize } from "./lib/stats.ts";

const RUNS = Number(process.argv[2] ?? 100);
const REPLICAS = 3;
const owned = process.env["NATS_URL"] === undefined ? await startNats() : undefined;
const natsUrl = process.env["NATS_URL"] ?? owned?.url ?? "";
const t = topology(`ksbench${process.pid}`);
const dir = await mkdtemp(join(tmpdir(), "warden-ks-bench-"));
const keyFile = join(dir, "dev-issuer.pem");
const issuer = await createDevIssuer({ issuer: "warden-bench", audience: "warden", keyFile });
const common = {
  NATS_URL: natsUrl,
  WARDEN_NAMESPACE: t.namespace,
  JWT_ISSUER: "warden-bench",
  JWT_DEV_KEY_FILE: keyFile,
  LOG_LEVEL: "warn",
};
const governance = fileURLToPath(new URL("../../governance", import.meta.url));
const processes: ServiceProcess[] = [];
const nc = await connectNats({ servers: natsUrl, name: "ks-bench" });
try {
  const ks = await startServiceProcess("kill-switch", common, join(dir, "kill-switch.log"));
  processes.push(ks);
  for (let i = 0; i < REPLICAS; i++) {
    processes.push(
      await startServiceProcess(
        "policy",
        { ...common, POLICY_BUNDLE_DIR: governance, POLICY_WATCH: "false" },
        join(dir, `policy-${i}.log`),
      ),
    );
  }
  const client = createGrpcClient(killswitchV1.KillSwitchServiceDefinition, `127.0.0.1:${ks.grpcPort}`, {
    token: await issuer.issue({ sub: "bench", roles: ["on-call-engineer"] }),
  });

  // Each replica's latest acknowledged epoch; an activation is done once all have reached it.
  const latest = new Map<string, number>();
  let waiting: { epoch: number; resolve: () => void } | undefined;
  const check = (): void => {
    const w = waiting;
    if (w === undefined) return;
    if ([...latest.values()].filter((e) => e >= w.epoch).length >= REPLICAS) w.resolve();
  };
  const sub = nc.subscribe(t.subjects.killswitchAcknowledgedAll);
  void (async () => {
    for await (const m of sub) {
      const ack = decodeEventAs(m.data, events.killswitchAcknowledged).data.acknowledgement;
      latest.set(ack.instanceId, Math.max(latest.get(ack.instanceId) ?? 0, ack.epoch));
      check();
    }
  })();

  // Breakdown: when the scope record lands (a watch of this process on the bucket), i.e. how much
  // of the total is the kill switch's own path (gRPC, token, KV round trips) before the write.
  const bucket = await new Kvm(nc).open(t.kv.killswitch);
  const scopeWatch = await bucket.watch({ key: "scope.>", include: "updates" });
  let written: { key: string; resolve: () => void } | undefined;
  void (async () => {
    for await (const e of scopeWatch) if (written !== undefined && e.key === written.key) written.resolve();
  })();
  const activation = new Float64Array(RUNS);
  const toWrite = new Float64Array(RUNS);
  for (let i = 0; i < RUNS; i++) {
    const before = (await client.client.status({})).epoch;
    const done = new Promise<void>((resolve) => {
      waiting = { epoch: before + 1, resolve };
    });
    const landed = new Promise<bigint>((resolve) => {
      written = { key: `scope.agent.bench-${i}`, resolve: () => resolve(process.hrtime.bigint()) };
    });
    const start = process.hrtime.bigint();
    // Timed to the last acknowledgement, not to the RPC's answer (which also reads the whole state back).
    const call = client.client.activate({
      scopes: [{ kind: killswitchV1.ScopeKind.SCOPE_KIND_AGENT, value: `bench-${i}` }],
      reason: "bench",
    });
    await done;
    activation[i] = Number(process.hrtime.bigint() - start);
    toWrite[i] = Number((await landed) - start);
    waiting = undefined;
    await call;
  }
  client.close();
  sub.unsubscribe();
  scopeWatch.stop();

  // Peer: a bare KV put → watch delivery, same bucket, same run.
  const kv = await new Kvm(nc).open(t.kv.killswitch);
  const watcher = await kv.watch({ key: "bench.peer" });
  let delivered: (() => void) | undefined;
  void (async () => {
    for await (const e of watcher) if (e.operation === "PUT") delivered?.();
  })();
  await kv.put("bench.peer", "0");
  const peer = new Float64Array(RUNS);
  for (let i = 0; i < RUNS; i++) {
    const got = new Promise<void>((resolve) => {
      delivered = resolve;
    });
    const start = process.hrtime.bigint();
    await kv.put("bench.peer", String(i + 1));
    await got;
    peer[i] = Number(process.hrtime.bigint() - start);
  }
  watcher.stop();

  const ms = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;
  const a = summarize(activation);
  const w = summarize(toWrite);
  const p = summarize(peer);
  process.stdout.write(
    [
      `kill-switch propagation, ${RUNS} activations, ${REPLICAS} policy replicas (separate processes)`,
      `activation → all ${REPLICAS} replicas acknowledged: p50 ${ms(a.p50Ns)}  p99 ${ms(a.p99Ns)}  max ${ms(a.maxNs)}  (target p99 ≤ 10 ms)`,
      `  of which activation → scope record written:  p50 ${ms(w.p50Ns)}  p99 ${ms(w.p99Ns)}  max ${ms(w.maxNs)}`,
      `peer: bare KV put → watch delivery:      p50 ${ms(p.p50Ns)}  p99 ${ms(p.p99Ns)}  max ${ms(p.maxNs)}`,
      `× p50 ${(a.p50Ns / p.p50Ns).toFixed(1)}  × p99 ${(a.p99Ns / p.p99Ns).toFixed(1)}`,
      "",
    ].join("\n"),
  );
} finally {
  for (const proc of processes.reverse()) await proc.stop();
  await drainNats(nc);
  await owned?.stop();
  await rm(dir, { recursive: true, force: true });
}
