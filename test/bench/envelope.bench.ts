// Per-event cost of Warden's event path: envelope build + validate + encode, and the same plus a
// JetStream publish, beside a bare JetStream publish of pre-encoded bytes (the peer) in the same run.
//   node test/bench/envelope.bench.ts          (starts its own NATS, or uses NATS_URL)
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import {
  buildEvent,
  connectNats,
  createPublisher,
  decodeEventAs,
  drainNats,
  encodeEvent,
  events,
  provisionTopology,
  topology,
} from "@warden/messaging";
import type { ActionRequestData } from "@warden/messaging";
import { startNats } from "@warden/testing/servers";
import { line, sample, sampleAsync, summarize } from "./lib/stats.ts";

const ITER = Number(process.env["BENCH_ITERATIONS"] ?? 20_000);
const actor = { type: "ai_agent" as const, id: "release-pipeline", roles: ["agent"] };
const request = (i: number): ActionRequestData => ({
  actionId: `act-${i}`,
  agentId: "release-pipeline",
  action: "change.deploy",
  changeType: "CHANGE_TYPE_CODE",
  environment: "ENVIRONMENT_PRODUCTION",
  versionChange: "VERSION_CHANGE_PATCH",
  target: "payments-api",
  ticket: "CHG-1234",
  reason: "roll out the fix for INC-77",
  ai: {
    model: "gpt-x",
    version: "2026-10",
    promptDigest: "sha256:ab",
    rationale: "tests pass",
    confidence: 0.92,
  },
});

const owned = process.env["NATS_URL"] === undefined ? await startNats() : undefined;
const url = process.env["NATS_URL"] ?? owned?.url ?? "";
const nc = await connectNats({ servers: url, name: "bench-envelope" });
const t = topology(`bench${process.pid}`);
try {
  await provisionTopology(nc, t);
  const subject = t.subjects.actionRequested("release-pipeline");

  const build = summarize(
    sample(
      (i) =>
        encodeEvent(
          buildEvent(events.actionRequested, {
            source: "bench",
            actor,
            actionId: `act-${i}`,
            data: request(i),
          }),
        ),
      {
        warmup: 5_000,
        iterations: ITER,
      },
    ),
  );
  const encoded = encodeEvent(
    buildEvent(events.actionRequested, { source: "bench", actor, actionId: "a", data: request(0) }),
  );
  const decode = summarize(
    sample(() => decodeEventAs(encoded, events.actionRequested), { warmup: 5_000, iterations: ITER }),
  );

  const js = jetstream(nc);
  const bare = summarize(
    await sampleAsync((i) => js.publish(subject, encoded, { msgID: `bare-${i}` }), {
      warmup: 1_000,
      iterations: ITER,
    }),
  );
  const publisher = createPublisher(nc, { source: "bench" });
  const full = summarize(
    await sampleAsync(
      (i) => publisher.publish(subject, events.actionRequested, { actionId: `act-${i}`, data: request(i) }),
      {
        warmup: 1_000,
        iterations: ITER,
      },
    ),
  );

  console.log(
    `envelope benchmark — ${ITER} events each, sequential, NATS ${owned ? "started by the bench" : url}`,
  );
  console.log(line("build + validate + encode (in process)", build));
  console.log(line("decode + validate (in process)", decode));
  console.log(line("peer: bare JetStream publish (pre-encoded)", bare));
  console.log(line("Warden publish (build+validate+trace+publish)", full, bare));
} finally {
  const jsm = await jetstreamManager(nc);
  for (const s of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`])
    await jsm.streams.delete(s).catch(() => undefined);
  await drainNats(nc);
  await owned?.stop();
}
