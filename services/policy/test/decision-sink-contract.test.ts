// The NATS DecisionSink (warden.decision.* on WARDEN_EVENTS) against the DecisionSink contract on a
// real NATS server, a namespace per case; the fake passes the same suite as a unit test
// (src/adapters/fakes/fake-ports.test.ts). Run once per POLICY_DECISION_RECORDS mode: single
// (createPublisher), pipelined (createPipelinedPublisher) and group (groupCommit over it).
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  connectNats,
  createPipelinedPublisher,
  createPublisher,
  drainNats,
  provisionTopology,
  topology,
  type Topology,
} from "@warden/messaging";
import { testServers, uniqueName, natsCredentials } from "@warden/testing";
import { afterAll, beforeAll } from "vitest";
import { natsDecisionSink } from "../src/adapters/nats/nats-decision-sink.ts";
import { groupCommit } from "../src/app/group-commit.ts";
import type { Outcome } from "../src/domain/decision.ts";
import {
  describeDecisionSinkContract,
  type RecordedDecision,
} from "../src/testing/decision-sink-contract.ts";

let nc: NatsConnection;
const namespaces: Topology[] = [];

beforeAll(async () => {
  nc = await connectNats({
    servers: testServers().natsUrl,
    name: "decision-sink-contract",
    ...(await natsCredentials("test-admin")),
  });
});

afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  for (const t of namespaces)
    for (const name of [t.streams.events, t.streams.audit, `KV_${t.kv.killswitch}`])
      await jsm.streams.delete(name).catch(() => undefined);
  await drainNats(nc);
});

/** Every decision stored in the namespace's event stream, read from its subject. */
async function storedDecisions(t: Topology): Promise<RecordedDecision[]> {
  const consumer = await jetstream(nc).consumers.get(t.streams.events, {
    filter_subjects: [t.subjects.decisionAll],
    deliver_policy: DeliverPolicy.All,
  });
  const out: RecordedDecision[] = [];
  if ((await consumer.info()).num_pending === 0) return out;
  const messages = await consumer.consume();
  for await (const m of messages) {
    // <namespace>.warden.decision[.dry_run].<outcome>.<agent>
    const tokens = m.subject.split(".").slice(3);
    const dryRun = tokens[0] === "dry_run";
    const [outcome, agentId] = dryRun ? tokens.slice(1) : tokens;
    out.push({
      actionId: m.json<{ actionId: string }>().actionId,
      agentId: agentId ?? "",
      outcome: (outcome ?? "") as Outcome,
      dryRun,
    });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

describeDecisionSinkContract("natsDecisionSink", async () => {
  const t = topology(uniqueName("dsc").toLowerCase());
  namespaces.push(t);
  await provisionTopology(nc, t);
  return {
    sink: natsDecisionSink(createPublisher(nc, { source: "policy" }), t),
    recorded: () => storedDecisions(t),
  };
});

describeDecisionSinkContract("natsDecisionSink, pipelined publisher", async () => {
  const t = topology(uniqueName("dsp").toLowerCase());
  namespaces.push(t);
  await provisionTopology(nc, t);
  return {
    sink: natsDecisionSink(createPipelinedPublisher(nc, { source: "policy" }), t),
    recorded: () => storedDecisions(t),
  };
});

describeDecisionSinkContract("natsDecisionSink, group commit", async () => {
  const t = topology(uniqueName("dsg").toLowerCase());
  namespaces.push(t);
  await provisionTopology(nc, t);
  return {
    sink: groupCommit(natsDecisionSink(createPipelinedPublisher(nc, { source: "policy" }), t)),
    recorded: () => storedDecisions(t),
  };
});
