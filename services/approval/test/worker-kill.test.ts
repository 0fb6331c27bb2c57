// Fault: kill -9 of the approval worker process mid-approval, on the run's Temporal dev server. The
// worker runs in a child process (main.ts, APPROVAL_WORKER=true); this process runs the starter and
// gRPC without a worker. A vote before the kill, the worker killed, a vote sent while no worker
// runs (the control: it cannot complete until a worker is back, so the kill was real), a new worker
// started: both votes counted once, quorum reached once (one resolved event, one verdict).
import { join } from "node:path";
import type { Subscription } from "@nats-io/transport-node";
import { approvalV1 } from "@warden/contracts";
import { createGrpcClient } from "@warden/grpc";
import { decodeEnvelope } from "@warden/messaging";
import type { Envelope } from "@warden/messaging";
import { natsCredsFile, startServiceProcess, testServers } from "@warden/testing";
import type { ServiceProcess } from "@warden/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { approvalDecision, publishDecision, startApprovalForTest, WAIT } from "./service-support.ts";
import type { ApprovalUnderTest } from "./service-support.ts";

let on: ApprovalUnderTest;
let worker: ServiceProcess | undefined;
const seen: Envelope[] = [];
let sub: Subscription;
const clients: { close(): void }[] = [];

async function startWorker(): Promise<ServiceProcess> {
  const creds = await natsCredsFile("service:approval", { namespace: on.t.namespace });
  return startServiceProcess(
    "approval",
    {
      NATS_URL: testServers().natsUrl,
      WARDEN_NAMESPACE: on.t.namespace,
      ...(creds !== undefined && { NATS_CREDS: creds }),
      TEMPORAL_ADDRESS: testServers().temporalAddress,
      TEMPORAL_TASK_QUEUE: on.taskQueue,
      APPROVAL_WORKER: "true",
      JWT_ISSUER: "warden-test",
      JWT_DEV_KEY_FILE: on.keyFile,
    },
    join(on.dir, "worker.log"),
  );
}

beforeAll(async () => {
  on = await startApprovalForTest({ APPROVAL_WORKER: "false" });
  sub = on.nc.subscribe(on.t.subjects.allEvents);
  void (async () => {
    for await (const m of sub) seen.push(decodeEnvelope(m.data));
  })();
  worker = await startWorker();
}, 90_000);

afterAll(async () => {
  for (const c of clients) c.close();
  sub?.unsubscribe();
  await worker?.stop();
  await on?.stop();
});

async function voter(id: string) {
  const token = await on.issuer.issue({ sub: id, roles: ["engineering-lead"], type: "human" });
  const c = createGrpcClient(approvalV1.ApprovalServiceDefinition, `127.0.0.1:${on.running.grpcPort}`, {
    token,
  });
  clients.push(c);
  return c.client;
}

const count = (type: string, actionId: string) =>
  seen.filter((e) => e.type === type && e.actionId === actionId).length;

describe("kill -9 of the approval worker mid-approval", () => {
  it("votes before and after the restart are counted once; quorum is reached once", async () => {
    const base = approvalDecision();
    const decision = approvalDecision({
      actionId: base.actionId,
      approval: {
        ...base.approval,
        workflow: base.approval?.workflow ?? "production_deployment",
        minApprovers: 2,
      },
    });
    await publishDecision(on, decision);
    await vi.waitFor(async () => {
      expect((await on.running.service.get(decision.actionId)).status).toBe("pending");
    }, WAIT);
    const bob = await voter("bob");
    const first = await bob.decide({
      actionId: decision.actionId,
      decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
    });
    expect(first.approval?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING);

    await worker?.kill();
    worker = undefined;
    // Control: with no worker, carol's vote cannot be validated nor applied; it waits.
    const carol = await voter("carol");
    let settled = false;
    const second = carol
      .decide({ actionId: decision.actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE })
      .finally(() => {
        settled = true;
      });
    // A sentinel round trip through Temporal (describe) proves time passed with the vote unsettled.
    await on.running.client.workflow.getHandle(`approval-${decision.actionId}`).describe();
    expect(settled).toBe(false);

    worker = await startWorker();
    const answer = await second;
    expect(answer.approval?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_APPROVED);
    expect(answer.approval?.votes.map((v) => v.voter?.id)).toEqual(["bob", "carol"]);
    // An activity the killed worker had started (publishing bob's vote) is retried only after its
    // start-to-close timeout (30 s, approval-workflow.ts), and the workflow's later publications
    // wait for it: wait past that timeout.
    await vi.waitFor(
      () => {
        expect(count("warden.approval.resolved", decision.actionId)).toBe(1);
        expect(count("warden.action.verdict", decision.actionId)).toBe(1);
        expect(count("warden.approval.vote_cast", decision.actionId)).toBe(2);
      },
      { timeout: 60_000, interval: 100 },
    );
  }, 120_000);
});
