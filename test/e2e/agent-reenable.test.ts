// End to end, each service its own process (kill switch, policy, approval on the Temporal dev
// server): an agent-scoped stop is lifted without re-enabling the agent, so the agent stays
// denied; re-enabling it is an action of the kill switch's own (agent.reenable) that two other
// people approve — the person who asked is refused as a voter — and only then does the agent
// act again. Control: the same agent, not stopped, is allowed at the start.
import { fileURLToPath } from "node:url";
import { approvalV1, commonV1, killswitchV1, policyV1 } from "@warden/contracts";
import { Status } from "@warden/grpc";
import { events } from "@warden/messaging";
import { uniqueName } from "@warden/testing";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { e2eStack } from "./lib/stack.ts";

const governance = fileURLToPath(new URL("../../governance", import.meta.url));
const stack = e2eStack("reenable");
const { seen } = stack;
const WAIT = { timeout: 30_000, interval: 100 } as const;

beforeAll(async () => {
  await stack.open();
  await stack.start("kill-switch");
  await stack.start("policy", { POLICY_BUNDLE_DIR: governance, POLICY_WATCH: "false" });
  await stack.start("approval", stack.temporalEnv());
}, 120_000);

afterAll(() => stack.close());

const { client, person } = stack;
const killSwitch = async (sub: string, roles: string[]) =>
  client(killswitchV1.KillSwitchServiceDefinition, "kill-switch", await person(sub, roles));
const approvals = async (sub: string, roles: string[]) =>
  client(approvalV1.ApprovalServiceDefinition, "approval", await person(sub, roles));

/** The release pipeline asks the policy for a staging patch deploy: stopped or not. */
async function pipeline(): Promise<"stopped" | "not stopped"> {
  const token = await stack.issuer.issue({ sub: "release-pipeline", type: "service" });
  const policy = client(policyV1.PolicyServiceDefinition, "policy", token);
  const { decision } = await policy.evaluate({
    request: commonV1.ActionRequest.fromJSON({
      actionId: uniqueName("deploy"),
      agentId: "release-pipeline",
      action: "change.deploy",
      changeType: "CHANGE_TYPE_CODE",
      environment: "ENVIRONMENT_STAGING",
      versionChange: "VERSION_CHANGE_PATCH",
      target: "payments-api",
    }),
  });
  const stopped =
    decision?.outcome === policyV1.Outcome.OUTCOME_DENY &&
    (decision.matchedRules ?? []).some((r) => r.ruleId === "killswitch.active");
  return stopped ? "stopped" : "not stopped";
}

it("an agent left disabled after its stop is lifted acts again only after two others approve its re-enable", async () => {
  expect(await pipeline()).toBe("not stopped"); // control

  const agentScope = { kind: killswitchV1.ScopeKind.SCOPE_KIND_AGENT, value: "release-pipeline" };
  const olga = await killSwitch("olga", ["on-call-engineer"]);
  await olga.activate({ scopes: [agentScope], reason: "e2e: deploy loop" });
  await expect.poll(pipeline, WAIT).toBe("stopped");
  const { epoch } = await olga.status({});
  const lift = {
    epoch,
    reviewRef: "INC-E2E-9",
    rootCause: "loop",
    prevention: "guard",
    reEnableAgents: [],
    scopes: [agentScope],
  };
  await (await killSwitch("erin", ["engineering-lead"])).deactivate(lift);
  expect((await (await killSwitch("sam", ["security-lead"])).deactivate(lift)).deactivated).toBe(true);
  // Lifted, but the agent was not named for re-enabling: it stays stopped.
  const afterLift = await olga.status({});
  expect(afterLift.scopes.find((s) => s.scope?.value === "release-pipeline")).toMatchObject({
    active: false,
    needsReEnabling: true,
  });
  expect(await pipeline()).toBe("stopped");

  // erin asks; the kill switch's agent.reenable request goes through policy to approval.
  const erinKs = await killSwitch("erin", ["engineering-lead"]);
  await expect(erinKs.requestReEnable({ agentId: "release-pipeline", reason: "" })).rejects.toMatchObject({
    code: Status.INVALID_ARGUMENT,
  });
  const { actionId } = await erinKs.requestReEnable({
    agentId: "release-pipeline",
    reason: "loop fixed in 3.1.1",
  });
  const erin = await approvals("erin", ["engineering-lead"]);
  const pending = await vi.waitFor(async () => {
    const a = (await erin.get({ actionId })).approval;
    expect(a?.status).toBe(approvalV1.ApprovalStatus.APPROVAL_STATUS_PENDING);
    return a;
  }, WAIT);
  expect(pending?.workflowId).toBe(`approval-${actionId}`);

  // erin asked for it: she holds the role and is still refused, on the record.
  await expect(
    erin.decide({ actionId, decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE }),
  ).rejects.toMatchObject({ code: Status.PERMISSION_DENIED });
  await vi.waitFor(() => {
    const refusal = seen.find((e) => e.type === events.approvalRefused.type && e.actionId === actionId);
    expect(refusal?.data).toMatchObject({ code: "self_approval", actor: { id: "erin" } });
  }, WAIT);

  // One approval of the two required roles: still stopped (the sentinel is the policy's answer).
  await (
    await approvals("eli", ["engineering-lead"])
  ).decide({
    actionId,
    decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
  });
  expect(await pipeline()).toBe("stopped");
  await (
    await approvals("sam", ["security-lead"])
  ).decide({
    actionId,
    decision: approvalV1.VoteDecision.VOTE_DECISION_APPROVE,
  });

  await expect.poll(pipeline, WAIT).toBe("not stopped");
  const reEnabled = seen.find((e) => e.type === events.killswitchAgentReEnabled.type);
  expect(reEnabled).toMatchObject({ actionId, data: { agentId: "release-pipeline", actionId } });
  const consumed = (await erin.get({ actionId })).approval;
  expect(consumed?.consumed).toBe(true);
  expect((await olga.status({})).scopes.find((s) => s.scope?.value === "release-pipeline")).toMatchObject({
    needsReEnabling: false,
  });
}, 180_000);
