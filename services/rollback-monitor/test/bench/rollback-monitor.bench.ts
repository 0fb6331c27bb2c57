// Rollback-monitor throughput (issue 16): N deployments, each sending one error-rate sample per
// second for S seconds; each regresses once (at a second spread over the run) and must roll back.
// Measured per deployment: from the JetStream ack of the sample that closes a regressed window to
// the receipt of its `warden.rollback.triggered` event, which the monitor publishes right after
// Temporal accepted the workflow start. Also: how many rollbacks started, and the monitor's CPU per
// 1,000 samples/s. Peer in the same run: a bare Temporal workflow start (client → server, sequential).
// The monitor runs as its own process (node services/rollback-monitor/src/main.ts) with its
// Temporal worker; the error-rate window is 10 s instead of 5 min (a copy of governance/rollback.yaml)
// so a run takes seconds, not minutes: the path per sample is the same.
//
//   node services/rollback-monitor/test/bench/rollback-monitor.bench.ts --deployments 1000 --seconds 30 [--concurrency 64] [--regressing K]
//
// `--concurrency` sets ROLLBACK_CONSUMER_CONCURRENCY (1 = the consumer before the fix: one message at a time).
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client, Connection } from "@temporalio/client";
import { createDevIssuer } from "@warden/identity";
import { connectNats, createPublisher, decodeEventAs, drainNats, events, topology } from "@warden/messaging";
import { startServiceProcess } from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";
import { startNats, startTemporalDev } from "@warden/testing/servers";
import { parse, stringify } from "yaml";

// The root test/bench/lib helpers are another package (no relative imports): the two used here.
/** Nearest-rank percentiles over ns samples. */
function summarize(samples: Float64Array): { p50Ns: number; p99Ns: number; maxNs: number } {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  return { p50Ns: at(50), p99Ns: at(99), maxNs: sorted[sorted.length - 1] ?? Number.NaN };
}

/** user + system CPU seconds of a pid (Linux /proc; USER_HZ 100), undefined elsewhere. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const { values: args } = parseArgs({
  options: {
    deployments: { type: "string", default: "1000" },
    seconds: { type: "string", default: "30" },
    concurrency: { type: "string", default: "64" },
    drain: { type: "string", default: "60" },
    regressing: { type: "string" },
  },
});
const N = Number(args.deployments);
const S = Number(args.seconds);
const DRAIN_S = Number(args.drain);
/** How many deployments regress (the first K); the others stay healthy and must not roll back. */
const K = Math.min(N, Number(args.regressing ?? N));
if (!(N >= 1 && S >= 20))
  throw new Error("--deployments ≥ 1 and --seconds ≥ 20 (regressions start at second 11)");
const WINDOW_S = 10;
const BASELINE = 0.01;
const REGRESSED = 0.05; // +400 %: the first regressed sample fires (threshold +10 %, ≥ 3 samples)

const ownedNats = process.env["NATS_URL"] === undefined ? await startNats() : undefined;
const natsUrl = process.env["NATS_URL"] ?? ownedNats?.url ?? "";
const ownedTemporal = process.env["TEMPORAL_ADDRESS"] === undefined ? await startTemporalDev() : undefined;
const temporalAddress = process.env["TEMPORAL_ADDRESS"] ?? ownedTemporal?.address ?? "";
const t = topology(`rbbench${process.pid}`);
const dir = await mkdtemp(join(tmpdir(), "warden-rollback-bench-"));
const keyFile = join(dir, "dev-issuer.pem");
await createDevIssuer({ issuer: "warden-bench", audience: "warden", keyFile });

// The repository's rollback policy with a 10 s error-rate window.
const governance = fileURLToPath(new URL("../../../../governance", import.meta.url));
const policy = parse(await readFile(join(governance, "rollback.yaml"), "utf8")) as {
  rollback: { triggers: { name: string; window?: string }[] };
};
for (const trigger of policy.rollback.triggers)
  if (trigger.name === "error-rate-increase") trigger.window = `${WINDOW_S}s`;
await writeFile(join(dir, "rollback.yaml"), stringify(policy));

const taskQueue = `warden-rollback-bench-${process.pid}`;
let monitor: ServiceProcess | undefined;
const nc = await connectNats({ servers: natsUrl, name: "rollback-bench" });
const connection = await Connection.connect({ address: temporalAddress });
try {
  monitor = await startServiceProcess(
    "rollback-monitor",
    {
      NATS_URL: natsUrl,
      WARDEN_NAMESPACE: t.namespace,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ROLLBACK_BUNDLE_DIR: dir,
      ROLLBACK_CONSUMER_CONCURRENCY: String(args.concurrency),
      JWT_ISSUER: "warden-bench",
      JWT_DEV_KEY_FILE: keyFile,
      LOG_LEVEL: "warn",
    },
    join(dir, "rollback-monitor.log"),
    120_000,
  );
  const client = new Client({ connection });

  // Peer: bare workflow starts (no worker needed to accept a start), one after another.
  const PEER_RUNS = 200;
  const peer = new Float64Array(PEER_RUNS);
  for (let i = 0; i < PEER_RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await client.workflow.start("benchPeer", {
      taskQueue: `${taskQueue}-peer`,
      workflowId: `peer-${process.pid}-${i}`,
    });
    peer[i] = Number(process.hrtime.bigint() - t0);
  }

  // Peer 2: Temporal's own ceiling for this run: N bare starts, as many at once as the consumer runs.
  const burstStart = performance.now();
  let nextPeer = 0;
  await Promise.all(
    Array.from({ length: Math.min(N, Number(args.concurrency)) }, async () => {
      while (nextPeer < N) {
        const i = nextPeer++;
        await client.workflow.start("benchPeer", {
          taskQueue: `${taskQueue}-peer`,
          workflowId: `peer-burst-${process.pid}-${i}`,
        });
      }
    }),
  );
  const burstPerSecond = N / ((performance.now() - burstStart) / 1_000);

  const publisher = createPublisher(nc, { source: "deploy-bot" });
  const deps = Array.from({ length: N }, (_, i) => `bench-${process.pid}-${i}`);
  const regressAt = deps.map((_, i) => (i < K ? WINDOW_S + 1 + (i % (S - WINDOW_S - 5)) : Infinity));
  const triggerAckedAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const triggeredPrefix = t.subjects.rollback("triggered", "x").slice(0, -1);
  const sub = nc.subscribe(t.subjects.rollbackAll);
  void (async () => {
    for await (const m of sub) {
      const now = performance.now();
      if (!m.subject.startsWith(triggeredPrefix)) continue;
      const data = decodeEventAs(m.data, events.rollbackTriggered).data;
      if (!startedAt.has(data.deploymentId)) startedAt.set(data.deploymentId, now);
    }
  })();

  const publishAll = async <T>(items: T[], one: (item: T) => Promise<unknown>): Promise<void> => {
    const CHUNK = 250;
    for (let i = 0; i < items.length; i += CHUNK) await Promise.all(items.slice(i, i + CHUNK).map(one));
  };
  await publishAll(deps, (dep) =>
    publisher.publish(t.subjects.deploy("started", dep), events.deploymentStarted, {
      data: {
        deploymentId: dep,
        service: "checkout",
        environment: "ENVIRONMENT_PRODUCTION",
        version: "v2.0.0",
        previousVersion: "v1.9.0",
        startedAt: new Date().toISOString(),
        strategy: "canary",
      },
    }),
  );

  const cpuBefore = cpuSeconds(monitor.pid);
  const runStart = performance.now();
  let samples = 0;
  let behind = 0;
  for (let second = 0; second < S; second++) {
    const due = runStart + second * 1_000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else behind++;
    await publishAll(
      deps.map((dep, i) => ({ dep, i })),
      async ({ dep, i }) => {
        const regressed = second >= (regressAt[i] as number);
        await publisher.publish(t.subjects.signal("error_rate", dep), events.signalObserved, {
          data: {
            deploymentId: dep,
            kind: "SIGNAL_KIND_ERROR_RATE",
            value: regressed ? REGRESSED : BASELINE,
            baseline: BASELINE,
            source: "bench",
            observedAt: new Date().toISOString(),
          },
        });
        samples++;
        if (second === regressAt[i]) triggerAckedAt.set(dep, performance.now());
      },
    );
  }
  const sendSeconds = (performance.now() - runStart) / 1_000;
  const cpuAfter = cpuSeconds(monitor.pid);
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  const startedInRun = startedAt.size;
  const drainDeadline = performance.now() + DRAIN_S * 1_000;
  while (startedAt.size < K && performance.now() < drainDeadline)
    await new Promise((r) => setTimeout(r, 100));
  sub.unsubscribe();

  const latencies = deps
    .filter((d) => startedAt.has(d) && triggerAckedAt.has(d))
    .map((d) => ((startedAt.get(d) as number) - (triggerAckedAt.get(d) as number)) * 1e6);
  const l = summarize(Float64Array.from(latencies));
  const p = summarize(peer);
  const rate = samples / sendSeconds;
  const ms = (ns: number) => `${(ns / 1e6).toFixed(1)} ms`;
  const s = (ns: number) => `${(ns / 1e9).toFixed(2)} s`;
  process.stdout.write(
    [
      `rollback monitor: ${N} deployments × 1 error-rate sample/s for ${S} s, ${K} regressing, consumer concurrency ${args.concurrency}`,
      `samples: ${samples} in ${sendSeconds.toFixed(1)} s (${rate.toFixed(0)}/s; ${behind} seconds started late)`,
      `rollbacks started: ${deps.slice(0, K).filter((d) => startedAt.has(d)).length} of ${K} regressing (${startedInRun} by the end of the send phase, the rest within ${DRAIN_S} s after); healthy deployments rolled back: ${deps.slice(K).filter((d) => startedAt.has(d)).length} of ${N - K}`,
      `trigger → rollback workflow started: p50 ${s(l.p50Ns)}  p99 ${s(l.p99Ns)}  max ${s(l.maxNs)}  (target ≤ 1 s)`,
      `peer: bare Temporal workflow start: p50 ${ms(p.p50Ns)}  p99 ${ms(p.p99Ns)}   × p50 ${(l.p50Ns / p.p50Ns).toFixed(1)}  × p99 ${(l.p99Ns / p.p99Ns).toFixed(1)}`,
      `peer: ${N} bare Temporal workflow starts, ${Math.min(N, Number(args.concurrency))} at a time: ${burstPerSecond.toFixed(0)} starts/s`,
      cpu === undefined
        ? "monitor CPU: n/a"
        : `monitor CPU: ${((cpu / sendSeconds) * 100).toFixed(0)} % of a core at ${rate.toFixed(0)} samples/s = ${((cpu / sendSeconds) * (1_000 / rate) * 1_000).toFixed(0)} ms CPU per s per 1,000 samples/s`,
      "",
    ].join("\n"),
  );
} finally {
  await monitor?.stop();
  await connection.close();
  await drainNats(nc);
  await ownedTemporal?.stop();
  await ownedNats?.stop();
  await rm(dir, { recursive: true, force: true });
}
