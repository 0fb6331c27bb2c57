// Policy scale-out on one machine: decisions/s over NATS request-reply with 1, then 2 policy
// replicas (each its own process, a queue group), on a 3-node NATS cluster at R3 (every decision
// recorded in WARDEN_EVENTS before it is answered, ADR 0005). Prints the ratio and each process's
// CPU per decision, which names the next bottleneck. Loopback only; bounded by BENCH_SECONDS.
//
//   node test/bench/policy-scale.bench.ts      BENCH_SECONDS (default 8), BENCH_INFLIGHT (default 64)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { provisionTopology, requestRpc, topology as makeTopology } from "@warden/messaging";
import { startNatsCluster } from "@warden/testing";
import { startServiceProcess, type ServiceProcess } from "@warden/testing";
import { cpuMeter } from "./lib/process-cpu.ts";

const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 8);
const INFLIGHT = Number(process.env["BENCH_INFLIGHT"] ?? 64);
const root = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "warden-scale-bench-"));

const cluster = await startNatsCluster(3);
const t = makeTopology(`scalebench${process.pid}`);
const nc = await connect({ servers: [...cluster.urls] });
await provisionTopology(nc, t, { replicas: 3 });
const subject = t.rpc.policyEvaluate("release-pipeline");
const encoder = new TextEncoder();
const payloads = Array.from({ length: 1_000 }, (_, i) =>
  encoder.encode(
    JSON.stringify({
      actionId: `scale-${i}`,
      agentId: "release-pipeline",
      action: "change.deploy",
      changeType: "CHANGE_TYPE_CODE",
      environment: i % 3 === 0 ? "ENVIRONMENT_PRODUCTION" : "ENVIRONMENT_DEVELOPMENT",
      versionChange: "VERSION_CHANGE_PATCH",
    }),
  ),
);

async function startPolicy(i: number): Promise<ServiceProcess> {
  return startServiceProcess(
    "policy",
    {
      NATS_URL: cluster.urls[i % 3] ?? "",
      NATS_STREAM_REPLICAS: "3",
      WARDEN_NAMESPACE: t.namespace,
      POLICY_BUNDLE_DIR: join(root, "governance"),
      POLICY_WATCH: "false",
      JWT_ISSUER: "bench",
      JWT_DEV_KEY_FILE: join(dir, "dev.pem"),
    },
    join(dir, `policy-${i}.log`),
  );
}

async function measure(label: string, pids: Record<string, number>): Promise<number> {
  // Warm-up (JIT, connections), then the timed run.
  await run(2);
  const used = cpuMeter(pids);
  const { rate, ops } = await run(SECONDS);
  const cpu = Object.entries(used())
    .map(([k, seconds]) => `${k} ${seconds === undefined ? "?" : ((seconds / ops) * 1e6).toFixed(0)}`)
    .join(", ");
  console.log(
    `${label}: ${rate.toFixed(0)} decisions/s (${ops} in ${SECONDS} s); CPU µs per decision: ${cpu}`,
  );
  return rate;
}

async function run(seconds: number): Promise<{ rate: number; ops: number }> {
  let ops = 0;
  const stopAt = Date.now() + seconds * 1_000;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: INFLIGHT }, async (_, w) => {
      for (let i = w; Date.now() < stopAt; i += INFLIGHT) {
        await requestRpc(nc, subject, payloads[i % payloads.length] ?? new Uint8Array(), {
          timeoutMs: 5_000,
        });
        ops++;
      }
    }),
  );
  return { rate: ops / (Number(process.hrtime.bigint() - t0) / 1e9), ops };
}

const policies: ServiceProcess[] = [];
try {
  const natsPids = Object.fromEntries(cluster.nodes.map((n, i) => [`nats${i}`, n.pid]));
  policies.push(await startPolicy(0));
  const one = await measure("1 policy replica ", {
    client: process.pid,
    policy0: policies[0]?.pid ?? 0,
    ...natsPids,
  });
  policies.push(await startPolicy(1));
  const two = await measure("2 policy replicas", {
    client: process.pid,
    policy0: policies[0]?.pid ?? 0,
    policy1: policies[1]?.pid ?? 0,
    ...natsPids,
  });
  console.log(
    `ratio 2/1 replicas: ×${(two / one).toFixed(2)} (${SECONDS} s each, ${INFLIGHT} in flight, R3)`,
  );
} finally {
  for (const p of policies) await p.stop();
  await nc.close();
  await cluster.stop();
}
