import { describe, expect, it } from "vitest";
import { agentIdsFromAgentsYaml, bundleIdentities, parseIdentity, WARDEN_SERVICES } from "./identity.ts";
import { agentInboxPrefix, permissionsFor, verdictsOf } from "./permissions.ts";

describe("permissionsFor", () => {
  it("lets an agent publish only its own subjects and read the bucket", () => {
    const p = permissionsFor(parseIdentity("agent:deploy-bot"), "staging");
    expect(p.pub.allow).toEqual(
      expect.arrayContaining([
        "staging.warden.action.requested.deploy-bot",
        "staging.warden.action.executed.deploy-bot",
        "staging.warden.killswitch.acknowledged.deploy-bot",
        "staging.wardenrpc.policy.evaluate.deploy-bot",
        "staging.wardenrpc.approval.consume.deploy-bot",
        "staging.wardenrpc.approval.verdict.deploy-bot",
        "$JS.API.DIRECT.GET.KV_STAGING_warden_killswitch.>",
      ]),
    );
    expect(p.pub.allow.filter((s) => !s.startsWith("$JS."))).toHaveLength(6);
    expect(p.pub.allow.some((s) => s.includes(">") && !s.startsWith("$JS."))).toBe(false);
    expect(p.pub.deny).toContain("$KV.STAGING_warden_killswitch.>");
    expect(p.sub.allow).toEqual([
      "staging.warden.action.verdict.*.deploy-bot",
      "_INBOX_AGENT.staging.deploy-bot.>",
    ]);
    expect(p.resp).toBeUndefined();
  });

  it("lets a deployment reporter (the release pipeline) publish deploy events and signals, no one else", () => {
    const reporter = permissionsFor(parseIdentity("agent:release-pipeline"), "staging", {
      reportsDeployments: true,
    });
    expect(reporter.pub.allow).toEqual(
      expect.arrayContaining(["staging.warden.deploy.>", "staging.warden.signal.>"]),
    );
    expect(reporter.pub.allow).toContain("staging.warden.action.requested.release-pipeline");
    const plain = permissionsFor(parseIdentity("agent:release-pipeline"), "staging");
    expect(plain.pub.allow.some((s) => s.includes(".deploy.") || s.includes(".signal."))).toBe(false);
    const policy = permissionsFor(parseIdentity("service:policy"), "", { reportsDeployments: true });
    expect(policy.pub.allow).not.toContain("warden.deploy.>");
  });

  it("gives decisions to policy only, wardenaudit.> to audit only, the bucket to kill-switch only", () => {
    const pubs = (service: string): string[] => permissionsFor(parseIdentity(`service:${service}`)).pub.allow;
    const owners = (subject: string): string[] => WARDEN_SERVICES.filter((s) => pubs(s).includes(subject));
    expect(owners("warden.decision.>")).toEqual(["policy"]);
    expect(owners("wardenaudit.>")).toEqual(["audit"]);
    expect(owners("$KV.warden_killswitch.>")).toEqual(["kill-switch"]);
    expect(owners("warden.killswitch.>")).toEqual(["kill-switch"]);
    expect(owners("warden.approval.>")).toEqual(["approval"]);
    expect(owners("warden.action.verdict.>")).toEqual(["approval"]);
    expect(owners("warden.rollback.>")).toEqual(["rollback-monitor"]);
    expect(owners("warden.signal.error_rate.>")).toEqual(["rollback-monitor"]);
    expect(owners("warden.signal.latency.>")).toEqual(["rollback-monitor"]);
    expect(owners("warden.signal.health.>")).toEqual([]);
    // A recorded compliance report: only the audit, for AuditService.RecordReport (no agent either).
    expect(owners("warden.compliance.report_recorded")).toEqual(["audit"]);
    expect(permissionsFor(parseIdentity("agent:deploy-bot")).pub.allow).not.toContain(
      "warden.compliance.report_recorded",
    );
    for (const s of WARDEN_SERVICES) {
      const deny = permissionsFor(parseIdentity(`service:${s}`)).pub.deny;
      expect(deny).toContain("$JS.API.STREAM.PURGE.>");
      expect(deny.includes("$KV.warden_killswitch.>")).toBe(s !== "kill-switch");
    }
  });

  it("lets only the RPC responders reply", () => {
    expect(permissionsFor(parseIdentity("service:policy")).resp).toEqual({ max: 1, ttl: 60_000_000_000 });
    expect(permissionsFor(parseIdentity("service:approval")).sub.allow).toContain(
      "wardenrpc.approval.consume.*",
    );
    expect(permissionsFor(parseIdentity("service:approval")).sub.allow).toContain(
      "wardenrpc.approval.verdict.*",
    );
    expect(permissionsFor(parseIdentity("service:audit")).resp).toBeUndefined();
  });

  it("builds the wildcard verdict subject and the inbox prefix from the namespace", () => {
    expect(verdictsOf("a-1")).toBe("warden.action.verdict.*.a-1");
    expect(agentInboxPrefix("a-1")).toBe("_INBOX_AGENT.a-1");
    expect(agentInboxPrefix("a-1", "t1")).toBe("_INBOX_AGENT.t1.a-1");
  });

  it("gives test-admin everything", () => {
    expect(permissionsFor(parseIdentity("test-admin")).pub.allow).toEqual([">"]);
  });
});

describe("identities", () => {
  it("parses and refuses identity specs, naming the problem", () => {
    expect(parseIdentity("service:kill-switch")).toEqual({ kind: "service", service: "kill-switch" });
    expect(() => parseIdentity("service:nope")).toThrow(/unknown service "nope"/);
    expect(() => parseIdentity("agent:a.b")).toThrow(/agent id must be/);
    expect(() => parseIdentity("bob")).toThrow(/expected service:<name>/);
  });

  it("reads the bundle's agents and lists every identity", () => {
    const ids = agentIdsFromAgentsYaml("agents:\n  - id: a1\n    kind: ai_agent\n  - id: b2\n");
    expect(ids).toEqual(["a1", "b2"]);
    expect(bundleIdentities(ids)).toHaveLength(WARDEN_SERVICES.length + 2);
    expect(() => agentIdsFromAgentsYaml("agents:\n  - id: a.b\n")).toThrow(/agents.yaml: agents.0.id/);
  });
});
