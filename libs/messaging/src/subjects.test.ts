import { describe, expect, it } from "vitest";
import { defaultTopology, token, topology } from "./subjects.ts";

describe("topology", () => {
  it("keeps RPC subjects outside every stream's subjects", () => {
    const t = defaultTopology;
    const rpc = t.rpc.policyEvaluate("agent-1");
    expect(rpc.startsWith("warden.")).toBe(false);
    expect(rpc.startsWith("wardenaudit.")).toBe(false);
  });

  it("reads the agent identity back from the subject", () => {
    const t = topology("t1");
    expect(t.subjects.agentOfActionRequested(t.subjects.actionRequested("kb-qa"))).toBe("kb-qa");
    expect(t.subjects.agentOfActionRequested("t1.warden.action.requested.a.b")).toBeUndefined();
    expect(t.subjects.agentOfActionRequested("warden.action.requested.kb-qa")).toBeUndefined();
    expect(t.rpc.agentOfPolicyEvaluate(t.rpc.policyEvaluate("bot"))).toBe("bot");
  });

  it("filters one agent's decisions whatever their outcome", () => {
    const t = topology("t1");
    expect(t.subjects.decisionsOf("kb-qa")).toBe("t1.warden.decision.*.kb-qa");
    expect(t.subjects.decision("deny", "kb-qa")).toBe("t1.warden.decision.deny.kb-qa");
    expect(t.subjects.decisionsOf("a.b>")).toBe("t1.warden.decision.*.a_b_");
  });

  it("gives each agent its own verdict filter and reply inbox", () => {
    const t = topology("t1");
    expect(t.subjects.actionVerdictsOf("kb-qa")).toBe("t1.warden.action.verdict.*.kb-qa");
    expect(t.subjects.actionVerdict("proceed", "kb-qa")).toBe("t1.warden.action.verdict.proceed.kb-qa");
    expect(t.agentInbox("kb-qa")).toBe("_INBOX_AGENT.t1.kb-qa");
    expect(defaultTopology.agentInbox("a.b>")).toBe("_INBOX_AGENT.a_b_");
  });

  it("namespaces streams, buckets and subjects together", () => {
    const t = topology("ci-7");
    expect(t.streams.events).toBe("CI_7_WARDEN_EVENTS");
    expect(t.kv.killswitch).toBe("CI_7_warden_killswitch");
    expect(t.kv.approvalLinks).toBe("CI_7_warden_approval_links");
    expect(t.subjects.allEvents).toBe("ci-7.warden.>");
    expect(defaultTopology.streams.events).toBe("WARDEN_EVENTS");
    expect(() => topology("Bad Name")).toThrow(/namespace/);
  });

  it("never lets a key inject subject tokens or wildcards", () => {
    expect(token("a.b>*c d")).toBe("a_b__c_d");
    expect(token("")).toBe("_");
  });
});
