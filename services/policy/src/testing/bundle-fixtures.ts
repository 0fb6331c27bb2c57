// Small bundles for unit tests and benchmarks: a valid base that each test extends or breaks.

export const FIXTURE_BASE: Readonly<Record<string, string>> = {
  "bundle.yaml": [
    "apiVersion: warden.dev/policy/v1",
    "name: fixture",
    "safetyActions: [change.rollback]",
    "",
  ].join("\n"),
  "risk-levels.yaml": [
    "riskLevels:",
    "  - { id: low, description: low, approval: automated, minApprovers: 0, aiAutonomy: high }",
    "  - { id: medium, description: medium, approval: human, minApprovers: 1, aiAutonomy: recommend_only }",
    "  - { id: high, description: high, approval: human, minApprovers: 2, aiAutonomy: escalate_only }",
    "",
  ].join("\n"),
  "agents.yaml": [
    "agents:",
    "  - id: bot",
    "    kind: ai_agent",
    "    riskLevel: low",
    "    capabilities: { dataAccess: read_write, externalMessages: true, codeExecution: false }",
    "    limits: { maxTransactionAmount: 1000 }",
    "  - id: pipeline",
    "    kind: automation",
    "    riskLevel: medium",
    "    capabilities: { dataAccess: read_write, externalMessages: false, codeExecution: true }",
    "",
  ].join("\n"),
  "workflows.yaml": [
    "workflows:",
    "  - id: review",
    "    approvers: { min: 1, roles: [team-lead, security-lead] }",
    "    timeout: 30m",
    "    escalation: [{ role: engineering-lead, after: 30m }]",
    '    notify: ["slack:#review"]',
    "    ai: { mayRecommend: true, mayApprove: false }",
    "  - id: strict",
    "    approvers: { min: 2, roles: [security-lead, engineering-lead], required: [security-lead] }",
    "    timeout: 1h",
    '    notify: ["slack:#security"]',
    "    ai: { mayRecommend: false, mayApprove: false }",
    "",
  ].join("\n"),
};

/** The base bundle with files replaced (text) or removed (undefined). */
export function fixtureFiles(
  overrides: Readonly<Record<string, string | undefined>> = {},
): Map<string, string> {
  const files = new Map(Object.entries(FIXTURE_BASE));
  for (const [name, text] of Object.entries(overrides)) {
    if (text === undefined) files.delete(name);
    else files.set(name, text);
  }
  return files;
}
