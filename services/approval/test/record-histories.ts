// Records the approval workflow histories the replay test replays (test/histories/*.json).
// Run after a deliberate, versioned change of the workflow's commands (and commit the result):
//   node services/approval/test/record-histories.ts
// Each scenario runs on the time-skipping server with the recording activities.
import { historyToJSON } from "@temporalio/common/lib/proto-utils.js";
import { startTimeSkipping } from "@warden/testing";
import { writeFileSync } from "node:fs";
import { consumeUpdate, stopSignal, voteUpdate, type VoteInput } from "../src/workflows/contract.ts";
import {
  AGENT,
  BUNDLE_DIGEST,
  REQUEST_DIGEST,
  ai,
  approvalInput,
  governanceDefinitions,
  human,
  startApprovalWorker,
  vote,
  type ApprovalHarness,
} from "./support.ts";

type Handle = Awaited<ReturnType<ApprovalHarness["start"]>>;
const consume = (epoch = 3) => ({
  agentId: AGENT,
  requestDigest: REQUEST_DIGEST,
  bundleDigest: BUNDLE_DIGEST,
  killswitchEpoch: epoch,
});
const cast = (h: Handle, v: VoteInput) => h.executeUpdate(voteUpdate, { args: [v] });

const server = await startTimeSkipping();
try {
  const defs = await governanceDefinitions();
  const def = (id: string) => {
    const d = defs.get(id);
    if (d === undefined) throw new Error(`no workflow ${id}`);
    return d;
  };
  const w = await startApprovalWorker(server.env.client, server.env.nativeConnection);
  const scenarios: Record<string, (h: ApprovalHarness) => Promise<Handle>> = {
    "quorum-consumed": async (h) => {
      const wf = await h.start(approvalInput(def("production_deployment"), { actionId: "replay-quorum" }));
      await cast(wf, vote(ai("reviewer-ai"), "approve", { comment: "canary healthy" }));
      await cast(wf, vote(human("ann", "team-lead"), "approve"));
      await cast(wf, vote(human("bob", "on-call-engineer"), "approve"));
      await wf.executeUpdate(consumeUpdate, { args: [consume()] });
      await wf.executeUpdate(consumeUpdate, { args: [consume()] });
      return wf;
    },
    "escalated-blocked": async (h) => {
      const wf = await h.start(approvalInput(def("security_change"), { actionId: "replay-blocked" }));
      await cast(wf, vote(human("sec", "security-lead"), "approve"));
      return wf;
    },
    "frozen-released": async (h) => {
      const wf = await h.start(approvalInput(def("production_deployment"), { actionId: "replay-frozen" }));
      await cast(wf, vote(human("ann", "team-lead"), "approve"));
      await server.env.sleep(10 * 60_000);
      await wf.signal(stopSignal, { state: "stopped", epoch: 4, reason: "incident" });
      await server.env.sleep(3 * 3600_000);
      await wf.signal(stopSignal, { state: "clear", epoch: 5 });
      await cast(wf, vote(human("bob", "team-lead"), "approve"));
      await wf.executeUpdate(consumeUpdate, { args: [consume(5)] });
      return wf;
    },
    "break-glass-expired": async (h) => {
      const wf = await h.start(approvalInput(def("compliance_change"), { actionId: "replay-break-glass" }));
      await cast(
        wf,
        vote(human("ic", "incident-commander"), "break_glass", { comment: "regulator deadline" }),
      );
      return wf;
    },
    "delegated-changes-requested": async (h) => {
      const wf = await h.start(approvalInput(def("financial_transaction"), { actionId: "replay-delegated" }));
      await cast(wf, vote(human("fm", "finance-manager"), "delegate", { delegateTo: "dora" }));
      await cast(wf, vote(human("dora"), "request_changes", { comment: "wrong IBAN" }));
      return wf;
    },
    "escalate-vote-approved-expired": async (h) => {
      const wf = await h.start(approvalInput(def("infrastructure_change"), { actionId: "replay-escalate" }));
      await cast(wf, vote(human("olga", "ops-engineer"), "escalate"));
      await cast(wf, vote(human("lee", "ops-lead"), "approve"));
      return wf;
    },
  };
  try {
    for (const [name, run] of Object.entries(scenarios)) {
      const wf = await run(w);
      const result = await wf.result();
      const file = new URL(`./histories/${name}.json`, import.meta.url);
      writeFileSync(file, historyToJSON(await wf.fetchHistory()) + "\n");
      console.log(`${name}: ${result.status} -> ${file.pathname}`);
    }
  } finally {
    await w.stop();
  }
} finally {
  await server.stop();
}
