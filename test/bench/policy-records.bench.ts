// Decision-record modes (POLICY_DECISION_RECORDS, issue #17) side by side in one run: one policy
// process per mode, each in its own process and namespace on the same NATS, measured in interleaved
// rounds (single, pipelined, group, single, …) so load on the shared machine hits every mode alike:
//   - max throughput with BENCH_INFLIGHT (64) requests in flight: decisions/s, latency p50/p99,
//     CPU per decision of the policy process and of nats-server
//   - sequential latency (one request at a time): p50/p99
// Printed per mode: the median over rounds, and the ratio against `single` (today's behaviour).
//   node test/bench/policy-records.bench.ts
//   BENCH_CLUSTER=1       a 3-node cluster, streams R3 (NATS_STREAM_REPLICAS=3)
//   BENCH_SYNC_ALWAYS=1   nats-server `jetstream { sync_interval: always }` (fsync every write)
//   BENCH_MODES=single,group BENCH_ROUNDS=4 BENCH_THROUGHPUT_SECONDS=4 BENCH_ITERATIONS=1000
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, drainNats, requestRpc, topology } from "@warden/messaging";
import type { ActionRequestData } from "@warden/messaging";
import { startNats, startNatsCluster } from "@warden/testing/servers";
import { processCpuSeconds } from "./lib/process-cpu.ts";
import { sampleAsync, summarize } from "./lib/stats.ts";

const MODES = (process.env["BENCH_MODES"] ?? "single,pipelined,group").split(",").map((m) => m.trim());
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 4);
const SECONDS = Number(process.env["BENCH_THROUGHPUT_SECONDS"] ?? 4);
const INFLIGHT = Number(process.env["BENCH_INFLIGHT"] ?? 64);
const ITER = Number(process.env["BENCH_ITERATIONS"] ?? 1_000);
const CLUSTER = process.env["BENCH_CLUSTER"] === "1";
const SYNC_ALWAYS = process.env["BENCH_SYNC_ALWAYS"] === "1";
const root = join(import.meta.dirname, "..", "..");
const extraConfig = SYNC_ALWAYS ? "jetstream { sync_interval: always }" : undefined;

const cluster = CLUSTER
  ? await startNatsCluster(3, { ...(extraConfig !== undefined && { extraConfig }) })
  : undefined;
const single = CLUSTER ? undefined : await startNats({ ...(extraConfig !== undefined && { extraConfig }) });
const natsUrl = cluster?.urls[0] ?? single?.url ?? "";
const serverPids = cluster?.nodes.map((n) => n.pid) ?? [single?.pid ?? 0];
const dir = await mkdtemp(join(tmpdir(), "warden-bench-records-"));
const children: ChildProcess[] = [];

async function spawnPolicy(mode: string, namespace: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, "services", "policy", "src", "main.ts")], {
    env: {
      ...process.env,
      NATS_URL: natsUrl,
      NATS_STREAM_REPLICAS: CLUSTER ? "3" : "1",
      WARDEN_NAMESPACE: namespace,
      POLICY_BUNDLE_DIR: join(root, "governance"),
      POLICY_WATCH: "false",
      POLICY_DECISION_RECORDS: mode,
      GRPC_HOST: "127.0.0.1",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: "0",
      JWT_ISSUER: "bench",
      JWT_DEV_KEY_FILE: join(dir, "dev.pem"),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  const onData = (b: Buffer): void => {
    out += b.toString();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const deadline = Date.now() + 60_000;
  while (!/policy service ready/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`policy (${mode}) did not start:\n${out}`);
    await sleep(50);
  }
  child.stdout?.off("data", onData);
  child.stderr?.off("data", onData);
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

const request = (i: number): ActionRequestData => ({
  actionId: `bench-${i}`,
  agentId: "release-pipeline",
  action: "change.deploy",
  changeType: "CHANGE_TYPE_CODE",
  environment: i % 3 === 0 ? "ENVIRONMENT_PRODUCTION" : "ENVIRONMENT_DEVELOPMENT",
  versionChange: "VERSION_CHANGE_PATCH",
});
const encoder = new TextEncoder();
const payloads = Array.from({ length: 1_000 }, (_, i) => encoder.encode(JSON.stringify(request(i))));
const payload = (i: number): Uint8Array => payloads[i % payloads.length] ?? new Uint8Array();

type Round = {
  perSecond: number;
  p50Us: number;
  p99Us: number;
  policyCpuUs: number;
  natsCpuUs: number;
  seqP50Us: number;
  seqP99Us: number;
};

const cpuOf = (pids: readonly number[]): number =>
  pids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0);

async function round(nc: NatsConnection, subject: string, policyPid: number): Promise<Round> {
  const send = (i: number): Promise<unknown> => requestRpc(nc, subject, payload(i), { timeoutMs: 10_000 });
  const latencies: number[] = [];
  let done = 0;
  const cpu0 = { policy: cpuOf([policyPid]), nats: cpuOf(serverPids) };
  const stopAt = Date.now() + SECONDS * 1_000;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: INFLIGHT }, async (_, w) => {
      for (let i = w; Date.now() < stopAt; i += INFLIGHT) {
        const t0 = process.hrtime.bigint();
        await send(i);
        latencies.push(Number(process.hrtime.bigint() - t0));
        done += 1;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu1 = { policy: cpuOf([policyPid]), nats: cpuOf(serverPids) };
  const loaded = summarize(Float64Array.from(latencies));
  const seq = summarize(await sampleAsync(send, { warmup: 100, iterations: ITER }));
  return {
    perSecond: done / seconds,
    p50Us: loaded.p50Ns / 1e3,
    p99Us: loaded.p99Ns / 1e3,
    policyCpuUs: ((cpu1.policy - cpu0.policy) * 1e6) / done,
    natsCpuUs: ((cpu1.nats - cpu0.nats) * 1e6) / done,
    seqP50Us: seq.p50Ns / 1e3,
    seqP99Us: seq.p99Ns / 1e3,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};

try {
  const runs = new Map<string, { nc: NatsConnection; subject: string; pid: number; rounds: Round[] }>();
  for (const mode of MODES) {
    const t = topology(`bench${process.pid}${mode.slice(0, 4)}`);
    const child = await spawnPolicy(mode, t.namespace);
    const nc = await connectNats({ servers: natsUrl, name: `bench-client-${mode}` });
    const subject = t.rpc.policyEvaluate("release-pipeline");
    // Warm-up: JIT, stream leader election (R3), connections.
    for (let i = 0; i < 2_000; i++) await requestRpc(nc, subject, payload(i), { timeoutMs: 10_000 });
    runs.set(mode, { nc, subject, pid: child.pid ?? 0, rounds: [] });
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, and the order rotated each round so no mode always runs first.
    const order = MODES.map((_, i) => MODES[(i + r) % MODES.length] ?? "");
    for (const mode of order) {
      const run = runs.get(mode);
      if (run === undefined) continue;
      run.rounds.push(await round(run.nc, run.subject, run.pid));
    }
  }

  const setup = `${CLUSTER ? "3-node cluster, R3 streams" : "single node, R1"}; sync_interval ${SYNC_ALWAYS ? "always" : "default (2 min)"}`;
  console.log(`decision records by mode — ${setup}; ${ROUNDS} interleaved rounds, medians over rounds`);
  console.log(
    `  ${INFLIGHT} in flight for ${SECONDS} s per round; sequential: ${ITER} requests one at a time; CPU: µs per decision`,
  );
  const base = runs.get("single")?.rounds;
  const col = (s: string, w: number): string => s.padStart(w);
  console.log(
    `${"mode".padEnd(10)}${col("decisions/s", 12)}${col("ratio", 8)}${col("load p50", 11)}${col("load p99", 11)}` +
      `${col("seq p50", 10)}${col("seq p99", 10)}${col("policy CPU", 12)}${col("nats CPU", 10)}   per-round decisions/s`,
  );
  for (const [mode, run] of runs) {
    const m = (f: (r: Round) => number): number => median(run.rounds.map(f));
    const perSecond = m((r) => r.perSecond);
    const ratio = base === undefined ? NaN : perSecond / median(base.map((r) => r.perSecond));
    const us = (v: number): string => (v >= 10_000 ? `${(v / 1e3).toFixed(1)} ms` : `${v.toFixed(0)} µs`);
    console.log(
      `${mode.padEnd(10)}${col(perSecond.toFixed(0), 12)}${col(`×${ratio.toFixed(2)}`, 8)}` +
        `${col(us(m((r) => r.p50Us)), 11)}${col(us(m((r) => r.p99Us)), 11)}` +
        `${col(us(m((r) => r.seqP50Us)), 10)}${col(us(m((r) => r.seqP99Us)), 10)}` +
        `${col(m((r) => r.policyCpuUs).toFixed(0), 12)}${col(m((r) => r.natsCpuUs).toFixed(0), 10)}` +
        `   ${run.rounds.map((r) => r.perSecond.toFixed(0)).join(" ")}`,
    );
  }
  for (const run of runs.values()) await drainNats(run.nc);
} finally {
  for (const child of children) {
    child.kill("SIGTERM");
    if (child.exitCode === null) await Promise.race([once(child, "exit"), sleep(5_000)]);
  }
  await cluster?.stop();
  await single?.stop();
  await rm(dir, { recursive: true, force: true });
}
