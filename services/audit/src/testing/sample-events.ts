// Realistic event envelopes (proto JSON data inside the Warden envelope), for tests and benchmarks.

const ENVIRONMENTS = ["ENVIRONMENT_PRODUCTION", "ENVIRONMENT_STAGING", "ENVIRONMENT_DEVELOPMENT"] as const;

export type SampleEnvelope = {
  id: string;
  type: string;
  source: string;
  time: string;
  actionId: string;
  actor: { type: string; id: string; name?: string; roles: string[] };
  traceparent: string;
  data: Record<string, unknown>;
};

/** The n-th sample event: an action request, a decision or an approval vote, in turn. */
export function sampleEnvelope(n: number, base = Date.UTC(2025, 0, 1)): SampleEnvelope {
  const actionId = `act-${String(Math.floor(n / 3)).padStart(6, "0")}`;
  const request = {
    actionId,
    agentId: `agent-${n % 7}`,
    action: "code.deploy",
    tool: "github.merge",
    changeType: "CHANGE_TYPE_CODE",
    environment: ENVIRONMENTS[n % 3],
    target: `service/payments-api-${n % 5}`,
    arguments: { ref: `v1.2.${n}`, replicas: 3 },
    reason: "fix rounding bug",
    ticket: `JIRA-${1000 + n}`,
    message: { channel: "email", external: true, body: `Dear customer ${n}, your refund is on its way.` },
    ai: {
      model: "claude-sonnet-4",
      version: "2025-05",
      promptDigest: `sha256:${"ab".repeat(32)}`,
      rationale: "tests green",
      confidence: 0.87,
    },
  };
  const time = new Date(base + n * 1000).toISOString();
  const traceparent = `00-${n.toString(16).padStart(32, "0")}-${"1".repeat(16)}-01`;
  switch (n % 3) {
    case 0:
      return {
        id: `evt-${n}`,
        type: "warden.action.requested",
        source: "sdk",
        time,
        actionId,
        actor: { type: "ai_agent", id: request.agentId, roles: ["deployer"] },
        traceparent,
        data: request,
      };
    case 1:
      return {
        id: `evt-${n}`,
        type: "warden.decision.made",
        source: "policy",
        time,
        actionId,
        actor: { type: "service", id: "policy", roles: [] },
        traceparent,
        data: {
          actionId,
          agentId: request.agentId,
          outcome: n % 2 === 0 ? "OUTCOME_ALLOW" : "OUTCOME_APPROVAL_REQUIRED",
          matchedRules: [
            {
              ruleId: "deploy.production",
              effect: "EFFECT_APPROVAL_REQUIRED",
              reason: "prod deploy",
              shadow: false,
            },
          ],
          reasons: ["production deployments need a lead"],
          bundleDigest: `sha256:${"cd".repeat(32)}`,
          request,
        },
      };
    default:
      return {
        id: `evt-${n}`,
        type: "warden.approval.vote_cast",
        source: "approval",
        time,
        actionId,
        actor: { type: "human", id: "dana", name: "Dana Lead", roles: ["team-lead"] },
        traceparent,
        data: {
          actionId,
          vote: {
            voter: { type: "ACTOR_TYPE_HUMAN", id: "dana", roles: ["team-lead"] },
            decision: "VOTE_DECISION_APPROVE",
            comment: "looks good",
            castAt: time,
            counted: true,
          },
          approvals: 1,
          required: 1,
        },
      };
  }
}

/** Incoming events as the NATS consumer would hand them to AuditWriter. */
export function sampleIncoming(from: number, count: number): { subject: string; envelope: SampleEnvelope }[] {
  return Array.from({ length: count }, (_, i) => {
    const envelope = sampleEnvelope(from + i);
    return { subject: `${envelope.type}.${envelope.actor.id}`, envelope };
  });
}
