// Policy decisions over NATS request-reply with the policy service in its own process, beside a bare
// echo responder in its own process (the peer) measured in the same run:
//   1. sequential latency (one request at a time): p50 / p99
//   2. open-loop latency at a fixed rate (BENCH_RATE, default 5,000 req/s): p50 / p99
//   3. maximum throughput with BENCH_INFLIGHT (64) requests in flight
//   node test/bench/policy-nats.bench.ts        (starts its own NATS, or uses NATS_URL)
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
import { startNats } from "@warden/testing/servers";
import { cpuPerOp, formatCpuPerOp } from "./lib/process-cpu.ts";
import { line, sampleAsync, summarize } from "./lib/stats.ts";
import type { Summary } from "./lib/stats.ts";

const ITER = Number(process.env["BENCH_ITERATIONS"] ?? 5_000);
const RATE = Number(process.env["BENCH_RATE"] ?? 5_000);
const RATE_SECONDS = Number(process.env["BENCH_RATE_SECONDS"] ?? 5);
const INFLIGHT = Number(process.env["BENCH_INFLIGHT"] ?? 64);
const THROUGHPUT_SECONDS = Number(process.env["BENCH_THROUGHPUT_SECONDS"] ?? 5);
const root = join(import.meta.dirname, "..", "..");

const owned = process.env["NATS_URL"] === undefined ? await startNats() : undefined;
const natsUrl = process.env["NATS_URL"] ?? owned?.url ?? "";
const t = topology(`bench${process.pid}`);
const dir = await mkdtemp(join(tmpdir(), "warden-bench-"));
const children: ChildProcess[] = [];

async function spawnReady(args: string[], env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  const onData = (b: Buffer): void => {
    out += b.toString();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const deadline = Date.now() + 30_000;
  while (!ready.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${args[0]} did not start:\n${out}`);
    await sleep(50);
  }
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

type Send = (i: number) => Promise<unknown>;

async function openLoop(
  send: Send,
): Promise<{ summary: Summary; achieved: number; errors: number; lateness: Summary }> {
  const total = RATE * RATE_SECONDS;
  const samples = new Float64Array(total);
  const lateness = new Float64Array(total);
  const pending: Promise<void>[] = [];
  let errors = 0;
  const start = process.hrtime.bigint();
  const intervalNs = 1e9 / RATE;
  for (let i = 0; i < total; i++) {
    const due = start + BigInt(Math.round(i * intervalNs));
    // Timer ticks (~1 ms), not a busy loop: a spinning load generator would hold one of the two
    // cores the service and NATS need. Requests due within a tick go out together.
    while (process.hrtime.bigint() < due) await sleep(1);
    const sent = process.hrtime.bigint();
    lateness[i] = Number(sent - due);
    // Sends never wait for replies (open loop), so latency counts from the send; how late the
    // sends were is reported beside it, so a stalled client would show.
    pending.push(
      send(i).then(
        () => {
          samples[i] = Number(process.hrtime.bigint() - sent);
        },
        () => {
          errors += 1;
          samples[i] = 5e9;
        },
      ),
    );
  }
  await Promise.all(pending);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { summary: summarize(samples), achieved: total / seconds, errors, lateness: summarize(lateness) };
}

async function throughput(send: Send): Promise<{ result: number; ops: number }> {
  let done = 0;
  const stopAt = Date.now() + THROUGHPUT_SECONDS * 1_000;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: INFLIGHT }, async (_, w) => {
      for (let i = w; Date.now() < stopAt; i += INFLIGHT) {
        await send(i);
        done += 1;
      }
    }),
  );
  return { result: done / (Number(process.hrtime.bigint() - start) / 1e9), ops: done };
}

const payload = (i: number): Uint8Array => payloads[i % payloads.length] ?? new Uint8Array();
const echo =
  (nc: NatsConnection, subject: string): Send =>
  (i) =>
    nc.request(subject, payload(i), { timeout: 5_000 });
const decide =
  (nc: NatsConnection, subject: string): Send =>
  (i) =>
    requestRpc(nc, subject, payload(i), { timeoutMs: 5_000 });

try {
  const echoProcess = await spawnReady(
    [join(import.meta.dirname, "lib", "echo-responder.ts"), natsUrl, `${t.namespace}.echo`, "echo"],
    {},
    /ready/,
  );
  const policyProcess = await spawnReady(
    [join(root, "services", "policy", "src", "main.ts")],
    {
      NATS_URL: natsUrl,
      WARDEN_NAMESPACE: t.namespace,
      POLICY_BUNDLE_DIR: join(root, "governance"),
      POLICY_WATCH: "false",
      GRPC_HOST: "127.0.0.1",
      GRPC_INSECURE: "true",
      GRPC_PORT: "0",
      OPS_HOST: "127.0.0.1",
      OPS_PORT: "0",
      JWT_ISSUER: "bench",
      JWT_DEV_KEY_FILE: join(dir, "dev.pem"),
      LOG_LEVEL: "info",
      ...(process.env["BENCH_PROFILE_DIR"] !== undefined && {
        NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env["BENCH_PROFILE_DIR"]}`,
      }),
      // For `perf record -p <pid>`: JIT symbols in /tmp/perf-<pid>.map.
      ...(process.env["BENCH_PERF_MAP"] === "1" && { NODE_OPTIONS: "--perf-basic-prof" }),
    },
    /policy service ready/,
  );
  const nc = await connectNats({ servers: natsUrl, name: "bench-client" });
  const policySubject = t.rpc.policyEvaluate("release-pipeline");
  const echoSubject = `${t.namespace}.echo`;

  const peer = echo(nc, echoSubject);
  const policy = decide(nc, policySubject);
  const seqEcho = summarize(await sampleAsync(peer, { warmup: 1_000, iterations: ITER }));
  const seqPolicy = summarize(await sampleAsync(policy, { warmup: 1_000, iterations: ITER }));
  const rateEcho = await openLoop(peer);
  const ratePolicy = await openLoop(policy);
  // CPU per request of each process while saturated: which one is the bottleneck.
  const server: Record<string, number | undefined> = owned === undefined ? {} : { "nats-server": owned.pid };
  const maxEcho = await cpuPerOp({ client: process.pid, echo: echoProcess.pid, ...server }, () =>
    throughput(peer),
  );
  const maxPolicy = await cpuPerOp({ client: process.pid, policy: policyProcess.pid, ...server }, () =>
    throughput(policy),
  );

  console.log(
    `policy over NATS request-reply — service and peer each in their own process; NATS ${owned ? "started by the bench" : natsUrl}`,
  );
  console.log(line("peer: bare echo responder, sequential", seqEcho));
  console.log(line("policy decide (records decision), sequential", seqPolicy, seqEcho));
  console.log(
    line(`peer at ${RATE}/s open loop (${rateEcho.achieved.toFixed(0)}/s achieved)`, rateEcho.summary),
  );
  console.log(
    line(
      `policy at ${RATE}/s open loop (${ratePolicy.achieved.toFixed(0)}/s, ${ratePolicy.errors} errors)`,
      ratePolicy.summary,
      rateEcho.summary,
    ),
  );
  const late = (r: { lateness: Summary }): string =>
    `sends late by p50 ${(r.lateness.p50Ns / 1e3).toFixed(0)} µs / p99 ${(r.lateness.p99Ns / 1e3).toFixed(0)} µs`;
  console.log(`  open-loop client: peer ${late(rateEcho)}; policy ${late(ratePolicy)}`);
  console.log(
    `max throughput, ${INFLIGHT} in flight: peer ${maxEcho.result.toFixed(0)} req/s, policy ${maxPolicy.result.toFixed(0)} decisions/s (×${(maxPolicy.result / maxEcho.result).toFixed(2)})`,
  );
  console.log(`  CPU per request, peer:   ${formatCpuPerOp(maxEcho.cpuUsPerOp)}`);
  console.log(`  CPU per decision, policy: ${formatCpuPerOp(maxPolicy.cpuUsPerOp)}`);
  await drainNats(nc);
} finally {
  for (const child of children) {
    child.kill("SIGTERM");
    if (child.exitCode === null) await Promise.race([once(child, "exit"), sleep(5_000)]);
  }
  await owned?.stop();
  await rm(dir, { recursive: true, force: true });
}
